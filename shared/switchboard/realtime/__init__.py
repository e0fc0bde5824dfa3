"""Realtime: the tenant's numbered event log, its push to operators' WebSocket connections, and signed
webhooks to customers' systems (docs/realtime.md)."""
