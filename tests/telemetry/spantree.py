"""Normalised span trees: what a snapshot of a trace compares (ids, times and model-dependent
numbers replaced by placeholders)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

PLACEHOLDERS = {
    "frontdesk.route.confidence": "<confidence>",
    "frontdesk.router.version": "<router-version>",
    "gen_ai.tool.call.id": "<call-id>",
    # the safety gate's classifier score, its threshold and the gate's version change with
    # every recalibration (tests/escalation and tests/safety check them)
    "frontdesk.safety.score": "<score>",
    "frontdesk.safety.threshold": "<threshold>",
    "frontdesk.safety.version": "<gate-version>",
}


def _attributes(span: ReadableSpan) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sorted((span.attributes or {}).items()):
        if key in PLACEHOLDERS:
            out[key] = PLACEHOLDERS[key]
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = value
    return out


def span_tree(spans: Sequence[ReadableSpan]) -> list[dict[str, Any]]:
    """The spans as nested dicts {name, status, attributes, children}, children in start
    order; the roots are the spans whose parent is not among `spans`."""
    ids = {s.context.span_id for s in spans if s.context is not None}

    def node(span: ReadableSpan) -> dict[str, Any]:
        assert span.context is not None
        children = sorted(
            (s for s in spans if s.parent is not None and s.parent.span_id == span.context.span_id),
            key=lambda s: s.start_time or 0,
        )
        return {
            "name": span.name,
            "status": span.status.status_code.name,
            "attributes": _attributes(span),
            "children": [node(c) for c in children],
        }

    roots = [s for s in spans if s.parent is None or s.parent.span_id not in ids]
    return [node(r) for r in sorted(roots, key=lambda s: s.start_time or 0)]


def render(tree: list[dict[str, Any]], depth: int = 0) -> str:
    """A tree as text: a span a line (indented by depth, `[ERROR]` when failed), its
    attributes beneath it, one `key = value` a line."""
    lines: list[str] = []
    for node in tree:
        pad = "  " * depth
        status = " [ERROR]" if node["status"] == "ERROR" else ""
        lines.append(f"{pad}{node['name']}{status}")
        lines.extend(f"{pad}  | {k} = {v!r}" for k, v in node["attributes"].items())
        if node["children"]:
            lines.append(render(node["children"], depth + 1).rstrip("\n"))
    return "\n".join(lines) + "\n"


def check_snapshot(path: Path, actual: str) -> None:
    """Compare `actual` with the snapshot file (written when missing, or rewritten with
    FRONTDESK_UPDATE_SNAPSHOTS=1; review the diff before committing it)."""
    if not path.exists() and os.environ.get("CI"):
        raise AssertionError(f"snapshot {path} is missing (run the test locally to write it)")
    if os.environ.get("FRONTDESK_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"span tree differs from the snapshot {path.name}"
