"""Development tokens: Cognito-shaped ID tokens signed with a local key (HS256). The local API server
verifies them the way API Gateway's Cognito authorizer verifies real ones, and hands the functions the
same claims."""

from __future__ import annotations

import os
import time
from typing import Any

import jwt

ISSUER = "switchboard-local"
DEFAULT_KEY = "switchboard-local-development-key-not-for-production"
TENANT_CLAIM = "custom:tenant_id"
ROLE_CLAIM = "custom:role"


def signing_key() -> str:
    return os.environ.get("SWITCHBOARD_DEV_JWT_KEY", DEFAULT_KEY)


def issue(tenant_id: str, role: str = "operator", operator_id: str | None = None,
          ttl_seconds: int = 12 * 3600, key: str | None = None) -> str:
    now = int(time.time())
    claims = {
        "sub": operator_id or f"{tenant_id}-{role}",
        TENANT_CLAIM: tenant_id,
        ROLE_CLAIM: role,
        "cognito:groups": [role],
        "token_use": "id",
        "iss": ISSUER,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, key or signing_key(), algorithm="HS256")


class InvalidToken(Exception):
    pass


def verify(authorization: str | None) -> dict[str, Any]:
    """The claims of a valid ``Bearer`` token; InvalidToken for a missing, expired or forged one."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise InvalidToken("missing bearer token")
    try:
        claims = jwt.decode(authorization[7:].strip(), signing_key(), algorithms=["HS256"], issuer=ISSUER,
                            options={"require": ["exp", "sub", "iss"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("token_use") != "id":  # API Gateway's Cognito authorizer takes ID tokens, not access tokens
        raise InvalidToken("not an ID token")
    # API Gateway's Cognito authorizer hands claims over as strings.
    claims["cognito:groups"] = ",".join(claims.get("cognito:groups") or [])
    return {k: str(v) for k, v in claims.items()}
