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


def prepare(services: Services, tenant_id: str, channel_id: str, ref: TemplateRef) -> tuple[dict[str, Any], str]:
    """(Graph's ``template`` object, the rendered text) for an approved template; InvalidInput names a
    missing or wrong parameter."""
    template = load_template(services, tenant_id, channel_id, ref.name, ref.language)
    return prepare_template_send(template, ref.parameters)
