"""The seam to the template store: load a template, insist it is APPROVED, and turn the request's
parameters into Graph's template object and the text the customer sees (``templates.rendering``)."""

from __future__ import annotations

from typing import Any

from switchboard.errors import Conflict, InvalidInput
from switchboard.outbound.models import TemplateRef
from switchboard.services import Services
from switchboard.templates.rendering import prepare_template_send

APPROVED = "APPROVED"


def load_template(services: Services, tenant_id: str, channel_id: str, name: str, language: str) -> dict[str, Any]:
    template = services.templates.get(tenant_id, channel_id, name, language)
    if template is None:
        raise InvalidInput(f"no template '{name}' in '{language}' on this channel", field="template.name")
    if str(template.get("status", "")).upper() != APPROVED:
        raise Conflict(f"template '{name}' is {template.get('status')}, only approved templates can be sent",
                       code="template_not_approved")
    return template


# Meta error 131062: "Business-scoped User ID recipients are not supported for this message" -- one-tap,
# zero-tap and copy-code authentication templates still need a phone number (docs/whatsapp-2026.md).
PHONE_ONLY_CATEGORIES = frozenset({"AUTHENTICATION"})


def check_recipient(template: dict[str, Any], address: str | None) -> None:
    """A template Meta does not deliver to a business-scoped user id is refused before it is queued."""
    if address and is_bsuid(address) and str(template.get("category", "")).upper() in PHONE_ONLY_CATEGORIES:
        raise Conflict(f"template '{template.get('name')}' is {template.get('category')}: WhatsApp sends it to a "
                       "phone number only, and this customer is known by their business-scoped user id",
                       code="bsuid_not_supported")


def is_bsuid(address: str) -> bool:
    """A business-scoped user id (``US.1349...``), not a WhatsApp phone id."""
    return not address.lstrip("+").isdigit()


def prepare(services: Services, tenant_id: str, channel_id: str, ref: TemplateRef,
            address: str | None = None) -> tuple[dict[str, Any], str]:
    """(Graph's ``template`` object, the rendered text) for an approved template; InvalidInput names a
    missing or wrong parameter; a template a BSUID ``address`` cannot receive is a Conflict."""
    template = load_template(services, tenant_id, channel_id, ref.name, ref.language)
    check_recipient(template, address)
    return prepare_template_send(template, ref.parameters)
