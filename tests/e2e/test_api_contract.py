"""schemathesis against the generated OpenAPI document of the operator API, on the local runtime over
real HTTP: for generated valid and invalid requests, no 5xx, and every answer is a documented status
with a body of the documented shape (every refusal names its code, invalid input names its field)."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator

import pytest
import schemathesis
from _pytest.nodeid import coerce_node_id
from _pytest.nodes import Node
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests.support.runtime import local_runtime, token
from tests.support.whatsapp import envelope, signed, text_message

if not hasattr(Node, "_nodeid"):
    # schemathesis' lazy loader (from_fixture) renames the running test through `node._nodeid`, which
    # pytest 9 replaced with `_id` (a NodeId): give it the attribute it expects.
    Node._nodeid = property(lambda self: str(self._id),  # type: ignore[attr-defined]
                            lambda self, value: setattr(self, "_id", coerce_node_id(value)))

pytestmark = pytest.mark.e2e
EXAMPLES = int(os.environ.get("SWITCHBOARD_SCHEMATHESIS_EXAMPLES", "8"))


@pytest.fixture(scope="module")
def runtime_url() -> Iterator[str]:
    with local_runtime() as url:
        raw, headers = signed(envelope([text_message(wamid="wamid.CONTRACT")]))
        urllib.request.urlopen(urllib.request.Request(f"{url}/webhooks/whatsapp", data=raw, headers=headers))
        yield url


@pytest.fixture(scope="module")
def api_schema(runtime_url: str):  # noqa: ANN201
    return schemathesis.openapi.from_url(f"{runtime_url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def admin_header() -> dict[str, str]:
    return {"Authorization": f"Bearer {token('--role', 'admin')}"}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_honours_its_contract(case, runtime_url: str, admin_header: dict[str, str]) -> None:
    response = case.call(base_url=runtime_url, headers=admin_header, timeout=30)
    case.validate_response(response, checks=(checks.not_a_server_error, checks.status_code_conformance,
                                             checks.content_type_conformance,
                                             checks.response_schema_conformance))
    if response.status_code >= 400:
        body = response.json()
        assert body["code"] and body["message"]
        if response.status_code == 422:
            assert body.get("field"), body
