"""Outgoing webhook subscriptions (admins): create one (its signing secret is answered once), list, change,
pause/resume, delete, send a test event, and see each delivery's outcome."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel, Field

from switchboard.api.auth import principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import Cursor, ResourceId
from switchboard.api.views import Page
from switchboard.realtime import subscriptions
from switchboard.services import services

router = Router()

SubscriptionId = ResourceId
TAGS = ["webhook-subscriptions"]


class SubscriptionIn(BaseModel):
    url: str = Field(min_length=1, max_length=2048, description="https URL that receives the deliveries")
    event_types: list[str] = Field(min_length=1, max_length=64, description="event types to deliver")
    description: str | None = Field(None, max_length=500)


class SubscriptionPatch(BaseModel):
    url: str | None = Field(None, min_length=1, max_length=2048)
    event_types: list[str] | None = Field(None, min_length=1, max_length=64)
    description: str | None = Field(None, max_length=500)
    status: Literal["active", "paused"] | None = None


class SubscriptionView(BaseModel):
    subscription_id: str
    url: str
    event_types: list[str]
    description: str = ""
    status: str
    consecutive_failures: int = 0
    created_at: str
    updated_at: str
    paused_at: str | None = None
    pause_reason: str | None = None

    @classmethod
    def of(cls, item: dict[str, Any]) -> SubscriptionView:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})


class CreatedSubscription(SubscriptionView):
    secret: str = Field(description="the signing secret; shown this once")


class DeliveryView(BaseModel):
    delivery_id: str
    seq: int
    event_type: str
    status: str
    attempts: int = 0
    created_at: str
    last_attempt_at: str | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    next_attempt_at: str | None = None
    delivered_at: str | None = None
    failed_at: str | None = None

    @classmethod
    def of(cls, item: dict[str, Any]) -> DeliveryView:
        return cls.model_validate({k: v for k, v in item.items() if k in cls.model_fields})


class TestSent(BaseModel):
    event_id: str = Field(description="the bus event's id; its delivery is listed under the subscription's "
                                      "deliveries once the fan-out has numbered it")
    subscription_id: str


def _admin() -> Any:
    principal = principal_of(router.current_event)
    principal.require_admin()
    return principal


@router.get("/webhook-subscriptions", summary="The tenant's webhook subscriptions (admins)", tags=TAGS)
def list_subscriptions(
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 25,
) -> Page[SubscriptionView]:
    principal = _admin()
    page = services().webhook_subscriptions.page(principal.tenant_id, cursor, limit)
    return Page[SubscriptionView](items=[SubscriptionView.of(i) for i in page.items], next_cursor=page.cursor)


@router.post("/webhook-subscriptions", summary="Subscribe a URL to event types (admins)", tags=TAGS,
             responses={201: {"description": "the subscription, with its signing secret (shown once)",
                              "content": {"application/json": {"model": CreatedSubscription}}}})
def create_subscription(body: SubscriptionIn):  # noqa: ANN201 - see responses
    principal = _admin()
    item = subscriptions.create(services(), principal.tenant_id, principal.operator_id, body.url,
                                body.event_types, body.description)
    return json_response(201, CreatedSubscription.model_validate(
        {k: v for k, v in item.items() if k in CreatedSubscription.model_fields}).model_dump())


@router.patch("/webhook-subscriptions/<subscription_id>", summary="Change, pause or resume a subscription "
              "(admins)", tags=TAGS)
def change_subscription(subscription_id: SubscriptionId, body: SubscriptionPatch) -> SubscriptionView:
    principal = _admin()
    return SubscriptionView.of(subscriptions.change(services(), principal.tenant_id, subscription_id,
                                                    body.model_dump(exclude_none=True)))


@router.delete("/webhook-subscriptions/<subscription_id>", summary="Delete a subscription and its secret "
               "(admins)", tags=TAGS, responses={204: {"description": "deleted"}})
def delete_subscription(subscription_id: SubscriptionId):  # noqa: ANN201 - see responses
    principal = _admin()
    subscriptions.remove(services(), principal.tenant_id, subscription_id)
    return Response(status_code=204, body="")


@router.post("/webhook-subscriptions/<subscription_id>/test", summary="Send a test event to this "
             "subscription (admins)", tags=TAGS,
             responses={202: {"description": "queued", "content": {"application/json": {"model": TestSent}}}})
def test_subscription(subscription_id: SubscriptionId):  # noqa: ANN201 - see responses
    principal = _admin()
    sent = subscriptions.send_test(services(), principal.tenant_id, subscription_id, principal.operator_id)
    return json_response(202, TestSent.model_validate(sent).model_dump())


@router.get("/webhook-subscriptions/<subscription_id>/deliveries", summary="A subscription's deliveries, "
            "newest first (admins)", tags=TAGS)
def list_deliveries(
    subscription_id: SubscriptionId,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 25,
) -> Page[DeliveryView]:
    principal = _admin()
    page = subscriptions.deliveries(services(), principal.tenant_id, subscription_id, cursor, limit)
    return Page[DeliveryView](items=[DeliveryView.of(i) for i in page.items], next_cursor=page.cursor)
