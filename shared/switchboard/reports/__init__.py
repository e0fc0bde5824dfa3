"""Reports and CSAT (issue 19, docs/reports.md): day-bucket aggregates kept by a consumer of the domain
events, the summary and now reports read from them, and the satisfaction survey after resolve."""
