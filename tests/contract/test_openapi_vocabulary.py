"""The rules of docs/api.md, held over the OpenAPI document: one vocabulary (status, *_at, by), cursor and
limit on every list, one error shape, and a document that tools read without help."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.contract.conftest import operations

pytestmark = pytest.mark.contract

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
# A moment is *_at; the end of a span that may also be "forever" is *_until; a range filter is *_from/*_to.
TIME_WORDS = re.compile(r"^(at|time|timestamp|date|when|until_at)$|_(time|timestamp|date|on|when)$")
ACTOR_NAMES = {"author_id", "actor_id", "user_id", "created_by", "updated_by", "author", "actor", "sender_id"}
# operator_id names an operator (the entity's own id) or whom a session goes to, never who did something
# (a saved filter's SessionFilterSet: the sessions assigned to that operator, as GET /sessions?operator_id=).
ASSIGNMENT_SCHEMAS = {"SessionView", "AssignRequest", "TransferRequest", "OperatorView", "SessionFilterSet"}


def properties(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for schema_name, schema in document["components"]["schemas"].items():
        for name, spec in schema.get("properties", {}).items():
            yield schema_name, name, spec


def query_parameters(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for method, path, op in operations(document):
        for parameter in op.get("parameters", []):
            if parameter["in"] == "query":
                yield f"{method} {path}", parameter["name"]


def names(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s, n) for s, n, _ in properties(document)] + list(query_parameters(document))


def test_every_name_is_snake_case(openapi: dict) -> None:
    assert [(where, n) for where, n in names(openapi) if not SNAKE.match(n)] == []


def test_a_state_is_called_status(openapi: dict) -> None:
    assert [(where, n) for where, n in names(openapi) if n == "state" or n.endswith("_state")] == []


def test_a_moment_is_named_something_at(openapi: dict) -> None:
    assert [(where, n) for where, n in names(openapi) if TIME_WORDS.search(n)] == []


def test_who_did_it_is_by(openapi: dict) -> None:
    assert [(where, n) for where, n in names(openapi) if n in ACTOR_NAMES] == []


def test_operator_id_only_names_an_assignment(openapi: dict) -> None:
    assert [s for s, n, _ in properties(openapi) if n == "operator_id" and s not in ASSIGNMENT_SCHEMAS] == []


def _schema(document: dict[str, Any], ref_holder: dict[str, Any]) -> dict[str, Any]:
    ref = ref_holder.get("$ref", "")
    return document["components"]["schemas"].get(ref.rsplit("/", 1)[-1], ref_holder)


def lists(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The GET operations that answer a page of items."""
    found = []
    for method, path, op in operations(document):
        body = op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema")
        if method == "GET" and body and _schema(document, body).get("properties", {}).get("items", {}).get(
                "type") == "array":
            found.append((f"{method} {path}", op))
    return found


def test_there_are_lists(openapi: dict) -> None:
    assert len(lists(openapi)) >= 9


def test_every_list_takes_cursor_and_limit(openapi: dict) -> None:
    missing = [(where, wanted) for where, op in lists(openapi) for wanted in ("cursor", "limit")
               if wanted not in {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}]
    assert missing == []


def test_every_list_answers_a_next_cursor(openapi: dict) -> None:
    for where, op in lists(openapi):
        body = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert "next_cursor" in _schema(openapi, body)["properties"], where


def test_schema_titles_are_unique(openapi: dict) -> None:
    titles = [s.get("title", name) for name, s in openapi["components"]["schemas"].items()]
    assert sorted(t for t in set(titles) if titles.count(t) > 1) == []


def test_no_enum_repeats_a_value_in_another_case(openapi: dict) -> None:
    enums: list[list[Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("enum"), list):
                enums.append(node["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(openapi)
    assert [e for e in enums if len({str(v).lower() for v in e}) != len(e)] == []


def test_every_operation_documents_throttling_and_server_errors(openapi: dict) -> None:
    for method, path, op in operations(openapi):
        assert {"429", "500", "503"} <= set(op["responses"]), f"{method} {path}"


def test_a_204_has_no_content(openapi: dict) -> None:
    answers = [(m, p, op["responses"]["204"]) for m, p, op in operations(openapi) if "204" in op["responses"]]
    assert answers, "no operation answers 204"
    assert [(m, p) for m, p, response in answers if "content" in response] == []


def test_every_refusal_has_the_one_error_shape(openapi: dict) -> None:
    shapes = {op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
              for _, _, op in operations(openapi) for status in op["responses"] if status[0] in "45"}
    assert shapes == {"#/components/schemas/Error"}


def test_the_error_documents_its_errors_list(openapi: dict) -> None:
    error = openapi["components"]["schemas"]["Error"]
    assert error["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}


def test_every_required_property_is_defined(openapi: dict) -> None:
    undefined = [(name, r) for name, s in openapi["components"]["schemas"].items()
                 for r in s.get("required", []) if r not in s.get("properties", {})]
    assert undefined == []


def test_only_operations_with_a_body_or_parameters_answer_422(openapi: dict) -> None:
    for method, path, op in operations(openapi):
        takes_input = bool(op.get("parameters")) or "requestBody" in op
        assert ("422" in op["responses"]) == takes_input, f"{method} {path}"


def test_operations_are_named_by_what_they_do(openapi: dict) -> None:
    ids = [op["operationId"] for _, _, op in operations(openapi)]
    assert [i for i in ids if not SNAKE.match(i) or i.endswith(("_get", "_post", "_put", "_patch", "_delete"))] == []
    assert len(set(ids)) == len(ids)


def test_every_declared_refusal_names_an_operation(openapi: dict) -> None:
    from switchboard.api.openapi import REFUSALS

    assert sorted(set(REFUSALS) - {f"{m} {p}" for m, p, _ in operations(openapi)}) == []
