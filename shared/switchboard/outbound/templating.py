"""The seam to the template store (switchboard.templates, another package): load a template, insist it
is APPROVED, turn the request's parameters into Graph's template object and the text the customer sees.

While ``switchboard.templates`` is not there, a small fallback reads the template item directly
(``T#t#TPL#<channel_id>`` / ``<name>#<language>``) and fills the body's ``{{1}}`` / ``{{name}}``
placeholders; the full parameter checks (count, formats, header media) belong to the template package."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from typing import Any

from switchboard.errors import Conflict, InvalidInput
from switchboard.outbound.models import TemplateRef

APPROVED = "APPROVED"
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def _templates_package() -> bool:
    return importlib.util.find_spec("switchboard.templates") is not None


def load_template(services: Any, tenant_id: str, channel_id: str, name: str, language: str) -> dict[str, Any]:
    repository = getattr(services, "templates", None) if _templates_package() else None
    if repository is not None:
        template = repository.get(tenant_id, channel_id, name, language)
    else:
        template = services.table.get({"pk": f"T#{tenant_id}#TPL#{channel_id}", "sk": f"{name}#{language}"})
    if template is None:
        raise InvalidInput(f"no template '{name}' in '{language}' on this channel", field="template.name")
    if str(template.get("status", "")).upper() != APPROVED:
        raise Conflict(f"template '{name}' is {template.get('status')}, only approved templates can be sent",
                       code="template_not_approved")
    return template


def prepare(services: Any, tenant_id: str, channel_id: str, ref: TemplateRef) -> tuple[dict[str, Any], str]:
    """(Graph's ``template`` object, the rendered text) for an approved template; InvalidInput names a
    missing or wrong parameter."""
    template = load_template(services, tenant_id, channel_id, ref.name, ref.language)
    if _templates_package():
        try:
            rendering = importlib.import_module("switchboard.templates.rendering")
        except ImportError:
            rendering = None
        if rendering is not None and hasattr(rendering, "prepare_template_send"):
            return rendering.prepare_template_send(template, ref.parameters)
    return _fallback_prepare(template, ref)


def _components(template: dict[str, Any]) -> list[dict[str, Any]]:
    components = template.get("components") or []
    if isinstance(components, str):
        components = json.loads(components)
    return list(components)


def _fallback_prepare(template: dict[str, Any], ref: TemplateRef) -> tuple[dict[str, Any], str]:
    body = next((c for c in _components(template) if str(c.get("type", "")).upper() == "BODY"), {})
    text = str(body.get("text", ""))
    names = list(dict.fromkeys(_PLACEHOLDER.findall(text)))
    values: dict[str, str] = {}
    if isinstance(ref.parameters, list):
        values = {str(i + 1): str(v) for i, v in enumerate(ref.parameters)}
    else:
        values = {str(k): str(v) for k, v in ref.parameters.items()}
    for name in names:
        if name not in values or values[name] == "":
            raise InvalidInput(f"the template needs parameter '{name}'", field=f"template.parameters.{name}")
    rendered = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    graph: dict[str, Any] = {"name": ref.name, "language": {"code": ref.language}}
    if names:
        positional = all(n.isdigit() for n in names)
        parameters = [{"type": "text", "text": values[n]} if positional
                      else {"type": "text", "parameter_name": n, "text": values[n]} for n in names]
        graph["components"] = [{"type": "body", "parameters": parameters}]
    return graph, rendered or f"[template {ref.name}]"
