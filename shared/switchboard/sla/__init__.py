"""SLA policies and timers, and unanswered alerts (issue 19; docs/sla.md)."""
