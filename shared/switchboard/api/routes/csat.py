"""GET /csat/{token}: the email survey's signed link records the customer's rating (public: the HMAC
signature of the link is the proof; docs/reports.md). Answering again replaces the first answer."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import Router
from pydantic import BaseModel

from switchboard.reports import csat
from switchboard.services import services

router = Router()

Token = Annotated[str, Path(min_length=10, max_length=1024, pattern=r"^[A-Za-z0-9_.-]+$")]
Rating = Annotated[int, Query(ge=1, le=5, description="1 (very poor) to 5 (excellent)")]
Comment = Annotated[str | None, Query(max_length=csat.MAX_COMMENT, description="what the customer adds")]


class CsatAnswer(BaseModel):
    rating: int
    comment: str | None = None
    answered_at: str


@router.get("/csat/<token>", summary="Record a CSAT rating from the survey's link (public)", tags=["reports"])
def answer(token: Token, rating: Rating, comment: Comment = None) -> CsatAnswer:
    session = csat.answer_link(services(), token, rating, comment)
    return CsatAnswer(rating=int(session["csat_rating"]), comment=session.get("csat_comment"),
                      answered_at=str(session["csat_answered_at"]))
