"""The synthetic PHI corpus (data/phi_corpus.txt): texts with their marked-up identifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).parent / "data" / "phi_corpus.txt"
_MARK = re.compile(r"\{([A-Z]+):([^{}]+)\}")


@dataclass(frozen=True)
class Identifier:
    kind: str
    value: str


@dataclass(frozen=True)
class Sample:
    text: str
    identifiers: tuple[Identifier, ...]


def load_corpus(path: Path = CORPUS) -> list[Sample]:
    samples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        found = tuple(Identifier(kind=m[1], value=m[2]) for m in _MARK.finditer(line))
        samples.append(Sample(text=_MARK.sub(lambda m: m[2], line), identifiers=found))
    return samples


def variants(value: str) -> set[str]:
    """The forms of an identifier a sink could hold it in: as written, and, for a number, its
    digits alone (a phone number reformatted is still the phone number)."""
    forms = {value.lower()}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 5 and len(digits) >= 0.6 * len(re.sub(r"\s", "", value)):
        forms.add(digits)
    # each word of a name on its own, when it is distinctive enough to grep for
    if " " in value and not any(ch.isdigit() for ch in value):
        forms.update(w.lower().strip(",.") for w in value.split() if len(w.strip(",.")) >= 4)
    return forms


def leaked(identifier: Identifier, text: str) -> bool:
    """True if `text` holds any form of `identifier`: a word form as a whole word (any case),
    a number with or without separators between its digits, but not inside a longer number."""
    lowered = text.lower()
    for form in variants(identifier.value):
        if form.isdigit():
            pattern = r"[\s.\-()/]?".join(form)
            if re.search(rf"(?<![\d.]){pattern}(?![\d])", text):
                return True
        elif re.search(rf"(?<![a-z0-9]){re.escape(form)}(?![a-z0-9])", lowered):
            return True
    return False
