"""Reports (admins): the summary of a range of days grouped by operator, group, channel or day (JSON or
CSV), and the panel of now. Read from the day buckets the report_aggregation function keeps, never from
the sessions (docs/reports.md)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.reports.summary import GroupBy, NowReport, Summary, as_csv, now_report, summary
from switchboard.services import services

router = Router()

Day = Annotated[str, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="a UTC day, YYYY-MM-DD (inclusive)")]
From = Annotated[str, Query(alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$", description="the first UTC day, YYYY-MM-DD")]
To = Annotated[str, Query(alias="to", pattern=r"^\d{4}-\d{2}-\d{2}$", description="the last UTC day, YYYY-MM-DD")]
By = Annotated[GroupBy, Query(description="one row per operator, group, channel or day")]


def _summary(days_from: str, days_to: str, group_by: GroupBy) -> Summary:
    principal = principal_of(router.current_event)
    principal.require_admin()
    return summary(services(), principal.tenant_id, days_from, days_to, group_by)


@router.get("/reports/summary", summary="Sessions, messages, response times, SLA and CSAT per row (admins)",
            tags=["reports"])
def get_summary(days_from: From, days_to: To, group_by: By = "day") -> Summary:
    return _summary(days_from, days_to, group_by)


@router.get("/reports/summary.csv", summary="The same summary as CSV (admins)", tags=["reports"],
            responses={200: {"description": "the rows, with a header line",
                             "content": {"text/csv": {"schema": {"type": "string"}}}}})
def get_summary_csv(days_from: From, days_to: To, group_by: By = "day"):  # noqa: ANN201 - a CSV Response
    report = _summary(days_from, days_to, group_by)
    return Response(200, "text/csv; charset=utf-8", as_csv(report),
                    headers={"Content-Disposition": f'attachment; filename="summary-{report.days_from}-'
                                                    f'{report.days_to}-{group_by}.csv"'})


@router.get("/reports/now", summary="Open and waiting sessions now, and each operator's day (admins)",
            tags=["reports"])
def get_now() -> NowReport:
    principal = principal_of(router.current_event)
    principal.require_admin()
    return now_report(services(), principal.tenant_id)
