"""Reading the template store (GET /templates): each template with its text and the parameters a send
of it needs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel

from switchboard.api.auth import principal_of
from switchboard.errors import InvalidInput, NotFound
from switchboard.services import services
from switchboard.templates.models import STATUSES, parts_of

router = Router()


class StatusChange(BaseModel):
    status: str
    changed_at: str


class HeaderView(BaseModel):
    format: str
    text: str | None = None


class ButtonView(BaseModel):
    index: int
    type: str
    text: str
    url: str | None = None
    phone_number: str | None = None


class HeaderNeeds(BaseModel):
    format: str
    parameters: list[str] = []


class ButtonNeeds(BaseModel):
    index: int
    sub_type: Literal["url", "quick_reply", "copy_code"]
    required: bool
    text: str


class ParameterNeeds(BaseModel):
    """What ``template.parameters`` of a send must hold (docs/templates.md)."""

    format: Literal["POSITIONAL", "NAMED"]
    header: HeaderNeeds | None = None
    body: list[str] = []
    buttons: list[ButtonNeeds] = []


class TemplateView(BaseModel):
    channel_id: str
    template_id: str | None = None
    name: str
    language: str
    status: str
    category: str | None = None
    sub_category: str | None = None
    parameter_format: str | None = None
    quality_score: str | None = None
    rejected_reason: str | None = None
    header: HeaderView | None = None
    body: str | None = None
    footer: str | None = None
    buttons: list[ButtonView] = []
    parameters: ParameterNeeds | None = None  # None until the template's components were synced
    status_history: list[StatusChange] = []
    deleted: bool = False
    updated_at: str | None = None
    synced_at: str | None = None

    @classmethod
    def of(cls, item: dict[str, Any]) -> TemplateView:
        parts = parts_of(item)
        quality = item.get("quality_score") or item.get("quality")  # a webhook writes "quality" first
        view: dict[str, Any] = {
            **{
                k: item.get(k)
                for k in (
                    "channel_id",
                    "template_id",
                    "name",
                    "language",
                    "category",
                    "sub_category",
                    "parameter_format",
                    "rejected_reason",
                    "updated_at",
                    "synced_at",
                )
            },
            "status": item.get("status") or "UNKNOWN",
            "quality_score": quality.get("score") if isinstance(quality, dict) else quality,
            "status_history": [{"status": h.get("status"), "changed_at": h.get("at")}
                               for h in item.get("status_history") or []],  # stored as "at"
            "deleted": bool(item.get("deleted")),
        }
        if parts.has_components:
            view["header"] = (
                {"format": parts.header.format, "text": parts.header.text} if parts.header else None
            )
            view.update(
                body=parts.body,
                footer=parts.footer,
                parameters=parts.needs(),
                buttons=[
                    {
                        "index": b.index,
                        "type": b.type,
                        "text": b.text,
                        "url": b.url,
                        "phone_number": b.phone_number,
                    }
                    for b in parts.buttons
                ],
            )
        return cls.model_validate(view)


class TemplatePageView(BaseModel):
    items: list[TemplateView]
    next_cursor: str | None = None


@router.get(
    "/templates", summary="List message templates, with the parameters each needs", tags=["templates"]
)
def list_templates(
    channel_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=32, description="APPROVED, PAUSED, DELETED, …")] = None,
    category: Annotated[
        Literal["MARKETING", "UTILITY", "AUTHENTICATION"] | None,
        Query(description="Meta's category, as Meta spells it"),
    ] = None,
    language: Annotated[str | None, Query(max_length=16, pattern=r"^[A-Za-z_-]+$")] = None,
    q: Annotated[str | None, Query(max_length=512, description="part of the template's name")] = None,
    include_deleted: Annotated[bool, Query()] = False,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TemplatePageView:
    principal = principal_of(router.current_event)
    if status is not None and status.upper() not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    if channel_id is not None:
        channel = services().channels.get(principal.tenant_id, channel_id)
        if channel is None:
            raise NotFound("no such channel", channel_id=channel_id)
        channel_ids = [channel_id]
    else:
        channel_ids = [
            c.channel_id for c in services().channels.list(principal.tenant_id) if c.kind == "whatsapp"
        ]
    page = services().templates.list(
        principal.tenant_id,
        channel_ids,
        cursor,
        limit,
        status=status.upper() if status else None,
        category=category.upper() if category else None,
        language=language,
        name_contains=q.strip().lower() if q and q.strip() else None,
        include_deleted=include_deleted,
    )
    return TemplatePageView(items=[TemplateView.of(i) for i in page.items], next_cursor=page.cursor)
