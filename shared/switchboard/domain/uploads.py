"""Where an operator's upload lives in the media bucket, and which keys a message may attach: only the ones
POST /sessions/{id}/attachments issued for that session (always under its tenant)."""

from __future__ import annotations

import re

from switchboard import ids

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ISSUED = re.compile(r"^tenants/(?P<tenant>[^/]+)/outbound/(?P<session>[^/]+)/[0-9A-Z]{26}/[A-Za-z0-9._-]{1,120}$")


def upload_key(tenant_id: str, session_id: str, filename: str) -> str:
    safe = _UNSAFE.sub("_", filename).strip("._") or "file"
    return f"tenants/{tenant_id}/outbound/{session_id}/{ids.new_id()}/{safe[:120]}"



def belongs_to(key: str, tenant_id: str) -> bool:
    return key.startswith(f"tenants/{tenant_id}/outbound/") and ".." not in key


def issued_for(key: str, tenant_id: str, session_id: str) -> bool:
    """Whether ``key`` is one ``upload_key`` gave out for this session (POST /sessions/{id}/attachments):
    nothing else of the tenant (another session's upload, a customer's raw ``.eml``, a stored media file)
    can be attached to a message."""
    match = _ISSUED.match(key)
    return bool(match) and match["tenant"] == tenant_id and match["session"] == session_id and ".." not in key
