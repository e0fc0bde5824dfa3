"""Who is calling: the tenant, the operator and the role come from the Cognito JWT's claims (validated by
API Gateway's authorizer in AWS, by the local runtime's HTTP server on this machine), never from the body."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from switchboard.errors import Forbidden, Unauthorized

TENANT_CLAIM = "custom:tenant_id"
ROLE_CLAIM = "custom:role"


class Principal(BaseModel):
    tenant_id: str
    operator_id: str
    role: Literal["operator", "admin"]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("this operation is for admins")


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
