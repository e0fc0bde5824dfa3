"""The WebSocket authorizer's verdicts on Cognito-shaped tokens (RS256, a key set like the user pool's), and
the webhook signature as a receiver checks it."""

from __future__ import annotations

import hashlib
import hmac
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from switchboard.realtime import signing
from switchboard.realtime.authorizer import policy

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST"
CLIENT = "frontend-client"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class _PoolKeys:
    """The user pool's JWKS, as PyJWKClient would serve it: the pool's one public key."""

    def get_signing_key_from_jwt(self, token: str) -> jwt.PyJWK:
        return jwt.PyJWK.from_dict({**jwt.algorithms.RSAAlgorithm.to_jwk(_KEY.public_key(), as_dict=True),
                                    "alg": "RS256", "kid": "pool"})


def _token(key=_KEY, **changes) -> str:  # noqa: ANN001
    now = int(time.time())
    claims = {"sub": "op-1", "custom:tenant_id": "demo", "custom:role": "admin", "token_use": "id",
              "iss": ISSUER, "aud": CLIENT, "iat": now, "exp": now + 600, **changes}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "pool"})


def _verdict(token: str) -> dict:
    event = {"queryStringParameters": {"token": token}, "methodArn": "arn:aws:execute-api:x:y:z/live/$connect"}
    return policy(event, ISSUER, CLIENT, keys=_PoolKeys())  # type: ignore[arg-type]


def _effect(answer: dict) -> str:
    return answer["policyDocument"]["Statement"][0]["Effect"]


def test_a_valid_operator_token_connects_with_its_tenant_and_role() -> None:
    answer = _verdict(_token())

    assert _effect(answer) == "Allow"
    assert answer["context"] == {"tenant_id": "demo", "operator_id": "op-1", "role": "admin"}


@pytest.mark.parametrize("token", [
    _token(exp=int(time.time()) - 60),                       # expired
    _token(key=_OTHER_KEY),                                   # forged: not the pool's key
    _token(aud="another-app-client"),                         # another application's token
    _token(iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OTHER"),  # another user pool
    _token(token_use="access"),                               # not an ID token
    _token(**{"custom:tenant_id": ""}),                       # no tenant
    "not-a-jwt", "",
], ids=["expired", "forged", "other-audience", "other-pool", "access-token", "no-tenant", "garbage", "missing"])
def test_other_tokens_are_denied(token: str) -> None:
    answer = _verdict(token)

    assert _effect(answer) == "Deny"
    assert answer["context"] == {}


def test_a_signature_verifies_with_the_secret_over_timestamp_and_raw_body() -> None:
    body = b'{"seq":7,"type":"message.received"}'
    headers = signing.signed_headers("whsec_x", 1_800_000_000, body, "W1.7", "message.received")

    expected = hmac.new(b"whsec_x", b"1800000000." + body, hashlib.sha256).hexdigest()
    assert headers["Switchboard-Signature"] == f"sha256={expected}"
    assert headers["Switchboard-Delivery"] == "W1.7"
    assert signing.verify("whsec_x", headers["Switchboard-Timestamp"], body, headers["Switchboard-Signature"],
                          now=1_800_000_010)


def test_a_changed_body_an_old_timestamp_or_another_secret_does_not_verify() -> None:
    body = b'{"seq":7}'
    header = signing.signature("whsec_x", 1_800_000_000, body)

    assert not signing.verify("whsec_x", "1800000000", b'{"seq":8}', header, now=1_800_000_000)
    assert not signing.verify("whsec_x", "1800000000", body, header, now=1_800_000_000 + 3600)
    assert not signing.verify("whsec_y", "1800000000", body, header, now=1_800_000_000)
