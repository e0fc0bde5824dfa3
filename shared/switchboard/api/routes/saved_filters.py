"""Saved filters of the session list: an operator's own, or shared with the tenant (docs/search.md)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import Cursor, ResourceId
from switchboard.api.views import Page
from switchboard.services import services
from switchboard.sessions import filters
from switchboard.sessions.filters import SavedFilterIn, SavedFilterView

router = Router()

FilterId = ResourceId


@router.get("/saved-filters", summary="Your saved filters and the tenant's shared ones", tags=["sessions"])
def list_saved_filters(
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 50,
) -> Page[SavedFilterView]:
    principal = principal_of(router.current_event)
    page = filters.listed(services(), principal, cursor, limit)
    return Page[SavedFilterView](items=page.items, next_cursor=page.cursor)


@router.post("/saved-filters", summary="Save a filter of the session list", tags=["sessions"],
             responses={201: {"description": "the saved filter",
                              "content": {"application/json": {"model": SavedFilterView}}}})
def create_saved_filter(body: SavedFilterIn):
    principal = principal_of(router.current_event)
    saved = filters.save(services(), principal, body)
    return json_response(201, saved.model_dump(mode="json"))


@router.delete("/saved-filters/<filter_id>", summary="Delete a saved filter (a shared one: who shared it, "
                                                     "or an admin)", tags=["sessions"],
               responses={204: {"description": "deleted"}})
def delete_saved_filter(filter_id: FilterId):
    principal = principal_of(router.current_event)
    filters.remove(services(), principal, filter_id)
    return json_response(204, {})
