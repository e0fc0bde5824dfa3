"""Request parameters many routes share, spelled once: an id in the path (a session's, a contact's, a
campaign's, ...) and a list's cursor. A route module names them for what they are
(``SessionId = ResourceId``)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

ResourceId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
Cursor = Annotated[str | None, Query(max_length=2048, description="opaque cursor from next_cursor")]
