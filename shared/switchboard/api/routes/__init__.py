"""One router per concern; each function's handler serves the routers it names (infra/declaration.py).

``ROUTES``: the routes each router module serves, so a handler can import a router only when a request
first routes to it (switchboard/api/lazy.py). tests/unit/test_lazy_routes.py holds it equal to what the
routers register, and to the declaration."""

from __future__ import annotations

ROUTES: dict[str, tuple[str, ...]] = {
    "sessions": ("GET /sessions", "GET /sessions/{session_id}", "GET /sessions/{session_id}/messages"),
    "session_actions": (
        "POST /sessions/{session_id}/assign", "POST /sessions/{session_id}/resolve",
        "POST /sessions/{session_id}/read", "POST /sessions/{session_id}/no-reply-needed",
        "PUT /sessions/{session_id}/tags", "POST /sessions/{session_id}/notes",
        "POST /sessions/{session_id}/attachments"),
    "saved_filters": ("GET /saved-filters", "POST /saved-filters", "DELETE /saved-filters/{filter_id}"),
    "session_contact": ("PUT /sessions/{session_id}/contact", "DELETE /sessions/{session_id}/contact"),
    "contacts": (
        "GET /contacts", "POST /contacts", "GET /contacts/{contact_id}", "PATCH /contacts/{contact_id}",
        "DELETE /contacts/{contact_id}", "POST /contacts/{contact_id}/identifiers",
        "DELETE /contacts/{contact_id}/identifiers/{kind}/{value}", "POST /contacts/{contact_id}/merge",
        "POST /contacts/{contact_id}/block", "DELETE /contacts/{contact_id}/block",
        "GET /contacts/{contact_id}/history", "POST /contacts/{contact_id}/notes",
        "POST /contacts/{contact_id}/anonymize", "GET /contact-attributes", "PUT /contact-attributes"),
    "templates": ("GET /templates",),
    "campaigns": (
        "GET /campaigns", "POST /campaigns", "GET /campaigns/{campaign_id}",
        "GET /campaigns/{campaign_id}/recipients", "POST /campaigns/{campaign_id}/recipients",
        "POST /campaigns/{campaign_id}/start", "POST /campaigns/{campaign_id}/pause",
        "POST /campaigns/{campaign_id}/resume", "POST /campaigns/{campaign_id}/cancel"),
    "channels": ("GET /channels", "POST /channels", "PATCH /channels/{channel_id}", "DELETE /channels/{channel_id}"),
    "webhook_errors": ("GET /webhook-errors",),
    "history_imports": ("GET /channels/{channel_id}/history-imports",),
    "events": ("GET /events",),
    "webhook_subscriptions": (
        "GET /webhook-subscriptions", "POST /webhook-subscriptions",
        "PATCH /webhook-subscriptions/{subscription_id}", "DELETE /webhook-subscriptions/{subscription_id}",
        "POST /webhook-subscriptions/{subscription_id}/test",
        "GET /webhook-subscriptions/{subscription_id}/deliveries"),
    "operators": (
        "GET /operators", "POST /operators", "PUT /operators/me/presence", "GET /operators/{operator_id}",
        "PATCH /operators/{operator_id}", "DELETE /operators/{operator_id}"),
    "groups": (
        "GET /groups", "POST /groups", "GET /groups/{group_id}", "PATCH /groups/{group_id}",
        "DELETE /groups/{group_id}", "GET /routing-rules", "PUT /routing-rules",
        "GET /channels/{channel_id}/business-hours", "PUT /channels/{channel_id}/business-hours"),
    "team_sessions": ("POST /sessions/{session_id}/take", "POST /sessions/{session_id}/transfer"),
    "canned_responses": (
        "GET /canned-responses", "POST /canned-responses", "PATCH /canned-responses/{response_id}",
        "DELETE /canned-responses/{response_id}"),
    "sla_policies": (
        "GET /sla-policies", "POST /sla-policies", "PATCH /sla-policies/{policy_id}",
        "DELETE /sla-policies/{policy_id}"),
    # A module with a second router names it after a colon (message_send serves this one).
    "canned_responses:send_router": ("POST /canned-responses/{response_id}/send",),
    "typing_indicator": ("POST /sessions/{session_id}/typing",),
    "costs": ("GET /rate-card", "PUT /rate-card", "GET /reports/costs"),
    "reports_summary": ("GET /reports/summary", "GET /reports/summary.csv", "GET /reports/now"),
    "csat": ("GET /csat/{token}",),
    "docs": ("GET /openapi.json", "GET /swagger"),
    "sending": ("POST /sessions", "POST /sessions/{session_id}/messages"),
    "reopen": ("POST /sessions/{session_id}/reopen",),
    "template_sync": ("POST /templates/sync",),
    "webhooks": ("GET /webhooks/whatsapp", "POST /webhooks/whatsapp"),
    "email_webhooks": ("POST /webhooks/email/{channel_id}",),
}
