"""The WebSocket API's authorizer (function realtime_authorizer, a Lambda REQUEST authorizer on
``$connect``): the operator's Cognito ID token from ``?token=``, verified against the user pool's keys
(signature, issuer, audience = our app client, expiry, ``token_use``), becomes the connection's context.
A missing, forged, expired or foreign token is denied, so the connection is refused (403).

Locally the runtime plays this authorizer with its development key, as it plays Cognito's for REST."""

from __future__ import annotations

from functools import cache
from typing import Any

import jwt

TENANT_CLAIM = "custom:tenant_id"
ROLE_CLAIM = "custom:role"


class Denied(Exception):
    pass


@cache
def _keys(issuer: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json", cache_keys=True, lifespan=3600)


def claims_of(token: str, issuer: str, client_id: str, keys: jwt.PyJWKClient | None = None) -> dict[str, Any]:
    try:
        key = (keys or _keys(issuer)).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], issuer=issuer, audience=client_id,
                            options={"require": ["exp", "iss", "sub", "aud"]})
    except jwt.PyJWTError as exc:
        raise Denied(str(exc)) from exc
    if claims.get("token_use") != "id" or not claims.get(TENANT_CLAIM):
        raise Denied("not an operator's ID token")
    return claims


def context_of(claims: dict[str, Any]) -> dict[str, str]:
    """The connection's context: who the operator is (the same for every route of the connection)."""
    groups = claims.get("cognito:groups") or []
    role = claims.get(ROLE_CLAIM) or ("admin" if "admin" in groups else "operator")
    if role not in ("operator", "admin"):
        raise Denied("unknown role")
    return {"tenant_id": str(claims[TENANT_CLAIM]), "operator_id": str(claims["sub"]), "role": str(role)}


def policy(event: dict[str, Any], issuer: str, client_id: str,
           keys: jwt.PyJWKClient | None = None) -> dict[str, Any]:
    token = (event.get("queryStringParameters") or {}).get("token") or ""
    try:
        context = context_of(claims_of(token, issuer, client_id, keys))
        principal, effect = context["operator_id"], "Allow"
    except Denied:
        context, principal, effect = {}, "anonymous", "Deny"
    return {"principalId": principal, "context": context, "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
