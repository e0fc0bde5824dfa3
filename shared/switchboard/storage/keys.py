"""Every key of the data table, in one place. Tenant data keys start with ``T#<tenant>``; the few
routing keys that let inbound traffic find its tenant (a phone_number_id, a WABA, a mailbox) start with
``ROUTE#`` and hold nothing but the pointer to the tenant's channel.

Layout (pk / sk):
  channel               T#t            / CHANNEL#<channel_id>
  routing item          ROUTE#<kind>#<value> / ROUTE
  contact               T#t#C#<contact_id> / PROFILE
  identifier (unique)   T#t#ID#<kind>#<value> / ID            -> contact_id
  thread pointer        T#t#PTR#<channel_id>#<address> / PTR  -> contact, current session, window
  session               T#t#S#<session_id> / SESSION          (GSI1: T#t#SESSIONS / <last activity>#<id>;
                                                              GSI2: T#t#C#<contact>#SESSIONS / <created>#<id>)
  message               T#t#S#<session_id> / M#<time>#<message_id>
  provider id alias     T#t#PID#<provider message id> / PID   -> session, message sort key
  parked status         T#t#PID#<provider message id> / PARKED#<status>
"""

from __future__ import annotations

PK = "pk"
SK = "sk"
GSI1 = "gsi1"
GSI1_PK = "gsi1pk"
GSI1_SK = "gsi1sk"
GSI2 = "gsi2"
GSI2_PK = "gsi2pk"
GSI2_SK = "gsi2sk"
TTL_ATTRIBUTE = "expires_at"


def tenant(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def channel(tenant_id: str, channel_id: str) -> dict[str, str]:
    return {PK: tenant(tenant_id), SK: f"CHANNEL#{channel_id}"}


def route(kind: str, value: str) -> dict[str, str]:
    return {PK: f"ROUTE#{kind}#{value}", SK: "ROUTE"}


def contact(tenant_id: str, contact_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#C#{contact_id}", SK: "PROFILE"}


def identifier(tenant_id: str, kind: str, value: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#ID#{kind}#{value}", SK: "ID"}


def thread(tenant_id: str, channel_id: str, address: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#PTR#{channel_id}#{address}", SK: "PTR"}


def session(tenant_id: str, session_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#S#{session_id}", SK: "SESSION"}


def sessions_index(tenant_id: str) -> str:
    return f"T#{tenant_id}#SESSIONS"


def contact_sessions_index(tenant_id: str, contact_id: str) -> str:
    """GSI2 partition of a contact's sessions (sort key: created_at#session_id)."""
    return f"T#{tenant_id}#C#{contact_id}#SESSIONS"


def session_partition(tenant_id: str, session_id: str) -> str:
    return f"T#{tenant_id}#S#{session_id}"


def message(tenant_id: str, session_id: str, sort_key: str) -> dict[str, str]:
    return {PK: session_partition(tenant_id, session_id), SK: sort_key}


def message_sort_key(at_iso: str, message_id: str) -> str:
    return f"M#{at_iso}#{message_id}"


def provider_id(tenant_id: str, provider_message_id: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#PID#{provider_message_id}", SK: "PID"}


def parked_status(tenant_id: str, provider_message_id: str, status: str) -> dict[str, str]:
    return {PK: f"T#{tenant_id}#PID#{provider_message_id}", SK: f"PARKED#{status}"}
