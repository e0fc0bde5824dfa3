"""Who is calling: the tenant, the operator and the role come from the Cognito JWT's claims (validated by
API Gateway's authorizer in AWS, by the local runtime's HTTP server on this machine), never from the body."""

from __future__ import annotations

from typing import Any

from switchboard.domain.principal import Principal
from switchboard.errors import Unauthorized

TENANT_CLAIM = "custom:tenant_id"
ROLE_CLAIM = "custom:role"


__all__ = ["Principal", "principal_from_claims", "principal_of"]


def principal_from_claims(claims: dict[str, Any] | None) -> Principal:
    if not claims or not claims.get(TENANT_CLAIM) or not claims.get("sub"):
        raise Unauthorized("a valid bearer token is required")
    groups = claims.get("cognito:groups") or ""
    role = claims.get(ROLE_CLAIM) or ("admin" if "admin" in str(groups).split(",") else "operator")
    if role not in ("operator", "admin"):
        raise Unauthorized("the token carries an unknown role")
    return Principal(tenant_id=str(claims[TENANT_CLAIM]), operator_id=str(claims["sub"]), role=role)


def principal_of(event: Any) -> Principal:
    """The principal of a Powertools API Gateway event."""
    authorizer = event.request_context.authorizer
    claims = authorizer.claims if authorizer is not None else None
    return principal_from_claims(claims)
