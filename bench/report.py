"""The table: each figure, its reference, its target, met or not; as text and as docs/performance.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    key: str
    what: str
    value: float | None
    target: str  # e.g. "<= 1.3"
    detail: str = ""  # the measured figures behind the ratio
    why: str = ""  # when the value is missing or the target is not met

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "not measured"
        if not self.target:
            return "-"
        op, bound = self.target.split()
        limit = float(bound)
        met = {"<=": self.value <= limit, "<": self.value < limit, ">=": self.value >= limit}[op]
        return "met" if met else "NOT met"


def _fmt(value: float | None) -> str:
    if value is None:
        return "null"
    return f"{value:,.2f}" if abs(value) < 1e5 else f"{value:,.0f}"


def text_table(rows: list[Row]) -> str:
    header = ("figure", "value", "target", "verdict")
    lines = [(r.key, _fmt(r.value), r.target or "-", r.verdict) for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)


def markdown(rows: list[Row], results: dict[str, Any], notes: list[str],
             tables: list[tuple[str, list[str], list[list[Any]]]] = ()) -> str:
    machine = results["machine"]
    out = [
        "# Performance",
        "",
        "Measured by `make bench` (bench/, results in bench/results/latest.json). Every figure is a ratio",
        "against a reference measured in the same run on the same machine, so the machine's speed cancels",
        "out; the absolute times are moto's and this machine's, not AWS's.",
        "",
        f"- Date: {results['date']}",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB, "
        f"{machine['os']}, Python {machine['python']}; load average {machine['load_before']} before the run, "
        f"{machine['load_after']} after (other work shared the machine).",
        f"- Commit: {results.get('commit') or 'unknown'}; run took {results['seconds']:.0f} s.",
        "",
        "| figure | what | value | target | verdict | measured |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        out.append(f"| `{row.key}` | {row.what} | {_fmt(row.value)} | {row.target or '-'} | {row.verdict} | "
                   f"{row.detail}{' — ' + row.why if row.why else ''} |")
    for title, header, lines in tables:
        out += ["", f"## {title}", "", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        out += ["| " + " | ".join(str(cell) for cell in line) + " |" for line in lines]
    out += ["", "## Notes", ""] + [f"- {note}" for note in notes] + [""]
    return "\n".join(out)
