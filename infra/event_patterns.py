"""EventBridge event patterns: the one place that builds a rule's pattern from a declared ``EventTrigger``
and the one matcher that says whether an event matches it, for what cannot ask EventBridge itself (the cost
bench's ``bus_consumers``, tests). The CDK stack (infra/cdk/events.py) and the local runtime's rules on moto
(infra/local/event_rules.py) carry the same pattern; tests/unit/test_event_patterns.py holds this matcher to
moto's on every pattern the declaration uses and to EventBridge's documented behaviour.

The matcher knows the part of EventBridge's pattern syntax the declaration may use, and refuses the rest
(``ValueError``), so a filter nobody can check does not slip in:

- a field's list of exact values (strings, numbers, booleans, null); an event's array matches if one of its
  elements does;
- ``{"prefix": "..."}``, ``{"exists": true|false}``, ``{"anything-but": [values]}``;
- nested objects (``{"detail": {"message": {"kind": [...]}}}``) and ``{"$or": [pattern, ...]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MISSING = object()
_OPERATORS = ("prefix", "exists", "anything-but")


def rule_pattern(source: str, detail_types: tuple[str, ...], detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """The pattern of a rule on these detail types from ``source``, with the trigger's content filter on
    ``detail`` when it has one."""
    pattern: dict[str, Any] = {"source": [source], "detail-type": list(detail_types)}
    if detail:
        validate(detail)
        pattern["detail"] = dict(detail)
    return pattern


def validate(pattern: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` for what the matcher does not know (EventBridge's other operators, bad shapes)."""
    for key, value in pattern.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise ValueError("$or takes a list of at least two patterns")
            for sub in value:
                if not isinstance(sub, Mapping):
                    raise ValueError("$or takes patterns (objects)")
                validate(sub)
        elif isinstance(value, Mapping):
            validate(value)
        elif isinstance(value, list):
            if not value:
                raise ValueError(f"{key}: empty arrays are not allowed")
            for rule in value:
                _validate_rule(key, rule)
        else:
            raise ValueError(f"{key}: must be an object or an array")


def _validate_rule(key: str, rule: Any) -> None:
    if rule is None or isinstance(rule, (str, bool, int, float)):
        return
    if not isinstance(rule, Mapping) or len(rule) != 1 or next(iter(rule)) not in _OPERATORS:
        raise ValueError(f"{key}: only exact values, prefix, exists and anything-but are supported: {rule!r}")
    operator, operand = next(iter(rule.items()))
    if operator == "prefix" and not isinstance(operand, str):
        raise ValueError(f"{key}: prefix takes a string")
    if operator == "exists" and not isinstance(operand, bool):
        raise ValueError(f"{key}: exists takes true or false")
    if operator == "anything-but" and not all(v is None or isinstance(v, (str, bool, int, float))
                                              for v in (operand if isinstance(operand, list) else [operand])):
        raise ValueError(f"{key}: anything-but takes values")


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether EventBridge would deliver ``event`` (its envelope: source, detail-type, detail...) to a rule
    with ``pattern``. Every field of the pattern must match (and one branch of each ``$or``)."""
    for key, value in pattern.items():
        if key == "$or":
            if not any(matches(sub, event) for sub in value):
                return False
            continue
        found = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(value, Mapping):
            if not matches(value, found if isinstance(found, Mapping) else {}):
                return False
        elif not _leaf(value, found):
            return False
    return True


def _leaf(rules: list[Any], found: Any) -> bool:
    if found is not _MISSING and isinstance(found, list):
        # an array matches if one of its elements does (EventBridge); exists is about the field itself
        return any(_rule(rule, found) if _is_exists(rule) else any(_rule(rule, item) for item in found)
                   for rule in rules)
    return any(_rule(rule, found) for rule in rules)


def _is_exists(rule: Any) -> bool:
    return isinstance(rule, Mapping) and "exists" in rule


def _same(expected: Any, found: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(expected, bool) or isinstance(found, bool):
        return isinstance(expected, bool) and isinstance(found, bool) and expected is found
    return bool(expected == found)


def _rule(rule: Any, found: Any) -> bool:
    if not isinstance(rule, Mapping):
        return found is not _MISSING and not isinstance(found, Mapping) and _same(rule, found)
    operator, operand = next(iter(rule.items()))
    if operator == "exists":
        return (found is not _MISSING) is operand
    if found is _MISSING or isinstance(found, Mapping):
        return False
    if operator == "prefix":
        return isinstance(found, str) and found.startswith(operand)
    if operator == "anything-but":
        return not any(_same(v, found) for v in (operand if isinstance(operand, list) else [operand]))
    raise ValueError(f"unsupported operator {operator}")
