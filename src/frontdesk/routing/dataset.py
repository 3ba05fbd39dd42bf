"""Labelled utterances for training and evaluating routers: JSONL files of
`{"text": ..., "label": ...}` objects, where the label `oos` marks an out-of-scope message.

Every problem is reported with the file and line number, and nothing is silently dropped.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from frontdesk.errors import InvalidInput
from frontdesk.routing.embedding import NOT_ROUTED


@dataclass(kw_only=True, slots=True, frozen=True)
class Labelled:
    """One labelled utterance."""

    text: str
    label: str


def load_jsonl(path: Path) -> list[Labelled]:
    """Read a labelled JSONL file; `InvalidInput` names the file and line of any bad record."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text (byte {exc.start})") from None
    items: list[Labelled] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(record, dict):
            raise InvalidInput(f'{where}: expected an object {{"text": ..., "label": ...}}')
        text, label = record.get("text"), record.get("label")
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput(f'{where}: "text" must be a non-empty string')
        if not isinstance(label, str) or not label.strip():
            raise InvalidInput(f'{where}: "label" must be a non-empty string')
        items.append(Labelled(text=text, label=label.strip()))
    if not items:
        raise InvalidInput(f"{path} holds no labelled examples")
    return items


def check_training(items: Sequence[Labelled], *, name: str = "training data") -> None:
    """A router needs at least two routable classes."""
    routable = {i.label for i in items if i.label not in NOT_ROUTED}
    if len(routable) < 2:
        found = ", ".join(sorted({i.label for i in items}))
        raise InvalidInput(
            f"{name} has {len(routable)} in-scope class(es) ({found}); a router needs at least "
            "two labels besides 'oos'"
        )


def check_known_labels(
    items: Iterable[Labelled], known: Iterable[str], *, name: str = "test data"
) -> None:
    """Every label must be one the router was trained on (or `oos`)."""
    allowed = set(known) | NOT_ROUTED
    unknown = Counter(i.label for i in items if i.label not in allowed)
    if unknown:
        listed = ", ".join(f"{label!r} ({n})" for label, n in unknown.most_common(10))
        raise InvalidInput(
            f"{name} has labels the training data does not: {listed}; add examples of them to "
            "the training file or relabel them 'oos'"
        )


def by_label(items: Iterable[Labelled]) -> dict[str, list[str]]:
    """Texts grouped by label, labels in first-seen order."""
    grouped: dict[str, list[str]] = {}
    for item in items:
        grouped.setdefault(item.label, []).append(item.text)
    return grouped
