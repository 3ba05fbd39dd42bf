"""Allergies and intolerances: the substances a report says the patient reacts to, with the
reaction when it is written.

They come from the allergy section ("ALLERGIES: Penicillin - hives.", "NKDA", a flattened
"ALLERGIES:,LISINOPRIL (angioedema),Sulfa - rash,") and from allergy phrases anywhere ("allergic
to latex", "amoxicillin allergy", "intolerant of codeine"). A substance is a drug of the
lexicon (named by its generic), a drug class ("sulfa", "penicillins") or another allergen
("latex", "peanuts", "iodinated contrast"). A drug named only as an allergy is never a
medication (`extraction` skips drugs in the allergy section and before "allergy").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from frontdesk.medical import _context
from frontdesk.medical._lexicon import DrugDef, Match
from frontdesk.medical.entities import Allergy

_OTHER_ALLERGENS: tuple[tuple[str, str], ...] = (
    (r"sulfa(?:\s+(?:drugs?|antibiotics?|medications?))?|sulfonamides?", "sulfa"),
    (r"penicillins?|pcn", "penicillin"),
    (r"cephalosporins?", "cephalosporins"),
    (r"(?:iv\s+|iodinated\s+|ct\s+|radiocontrast\s+)?contrast(?:\s+(?:dye|media|agent))?"
     r"|iodine|contrast\s+dye", "iodinated contrast"),
    (r"latex", "latex"),
    (r"(?:adhesive\s+)?tape|adhesives?|band-?aids?", "adhesive tape"),
    (r"peanuts?", "peanuts"),
    (r"tree\s+nuts?|nuts|walnuts?|cashews?|almonds?|pecans?", "tree nuts"),
    (r"shellfish|shrimp|crab|lobster", "shellfish"),
    (r"fish", "fish"),
    (r"eggs?", "eggs"),
    (r"(?:cow'?s\s+)?milk|dairy", "milk"),
    (r"soy", "soy"),
    (r"wheat|gluten", "wheat"),
    (r"bee\s+stings?|bees?|wasps?|insect\s+stings?|hymenoptera|bee\s+venom", "bee stings"),
    (r"nsaids?", "nsaids"),
    (r"opioids?|opiates?|narcotics?", "opioids"),
    (r"ace\s+inhibitors?", "ace inhibitors"),
    (r"statins?", "statins"),
    (r"nickel", "nickel"),
    (r"cats?|dogs?|pollen|dust\s+mites?|mold", "environmental"),
    (r"strawberr(?:y|ies)|kiwi|sesame", "food"),
)  # fmt: skip
_ALLERGEN = re.compile(
    r"\b(?:" + "|".join(f"(?P<a{i}>{p})" for i, (p, _) in enumerate(_OTHER_ALLERGENS)) + r")\b",
    re.IGNORECASE,
)
_NONE_KNOWN = re.compile(
    r"\b(?:nkda|nka|nkfa|no\s+known\s+(?:drug\s+|food\s+|medication\s+)?allergies|"
    r"no\s+(?:drug\s+|medication\s+)?allergies|none\s+known|denies\s+(?:any\s+)?allergies)\b",
    re.IGNORECASE,
)
_PHRASE = re.compile(
    r"\b(?:allergic\s+(?:reaction\s+)?to|allergy\s+to|allergies\s+to|intoleran(?:t|ce)\s+(?:of|to)|"
    r"reacts?\s+to|sensitivity\s+to|allerg(?:y|ies)\s*:|drug\s+allerg(?:y|ies)\s*:)\s*",
    re.IGNORECASE,
)
_AFTER_NAME = re.compile(r"[ \t]+(?:allergy|allergic|intolerance)\b", re.IGNORECASE)
_REACTION_LEAD = re.compile(
    r"^[\s:\-–—>(=,]*(?:reaction\s*:?\s*|causes?\s+|caused\s+|gives?\s+(?:her|him|them|me)\s+"
    r"(?:a\s+)?|which\s+(?:gives|gave|causes|caused)\s+(?:her|him|them|me\s+)?(?:a\s+)?|"
    r"with\s+|leads\s+to\s+|->\s*)?",
    re.IGNORECASE,
)
_REACTION_STOP = re.compile(
    r"[.;\n]|\)(?!\w)|\s\(|,(?=\s*[A-Z][a-z]+\s*[-(:])|\bbut\b|\bhas\s+tolerated\b|"
    r"\bas\s+a\s+(?:child|kid|baby|teen)|\bin\s+(?:19|20)\d\d"
)


def _scopes(text: str, headings: Sequence[_context.Section]) -> list[tuple[int, int]]:
    """The spans of the allergy sections (to the next heading, or the paragraph for an inline
    "Allergies: ..." heading)."""
    spans = []
    for i, section in enumerate(headings):
        if section.name != "allergies":
            continue
        end = section.end
        if end is None:
            end = headings[i + 1].heading_begin if i + 1 < len(headings) else len(text)
        spans.append((section.begin, min(end, section.begin + 600)))
    return spans


def _reaction(text: str, begin: int, limit: int) -> str | None:
    """The reaction written right after a substance, up to the next item."""
    rest = text[begin:limit]
    lead = _REACTION_LEAD.match(rest)
    start = lead.end() if lead else 0
    stop = _REACTION_STOP.search(rest, start)
    words = rest[start : stop.start() if stop else len(rest)].strip(" \t,:-()")
    words = re.sub(r"\s+", " ", words)
    if not words or len(words) > 60 or not re.search(r"[a-z]", words, re.IGNORECASE):
        return None
    return words


_ITEM_SPLIT = re.compile(r"[\n;]|(?<=[a-z)\]])\.(?=\s|$)")
_HEAD = re.compile(
    r"^\s*(?:[-*•]\s*|\d{1,2}[.)]\s*)?(?P<head>[A-Za-z][A-Za-z0-9 /'-]{1,40}?)\s*"
    r"(?:\(|[-–—:]|\bcauses?\b|\bcaused\b|\bgives?\b|\breaction\b|$)"
)
_NEGATED_ITEM = re.compile(r"^\s*(?:no|denies|not|negative)\b", re.IGNORECASE)
_TOLERATED = re.compile(r"\btolerat\w*\b[^()\n]{0,30}$", re.IGNORECASE)


def find_allergies(
    text: str, headings: Sequence[_context.Section], matches: Sequence[Match]
) -> list[Allergy]:
    """The patient's allergies in `text` (laid out: see `_context.layout`)."""
    found: dict[str, Allergy] = {}

    def add(begin: int, end: int, name: str, reaction: str | None) -> None:
        if name not in found:
            found[name] = Allergy(name=name, reaction=reaction, text=text[begin:end],
                                  begin_offset=begin, end_offset=end)  # fmt: skip
        elif found[name].reaction is None and reaction:
            found[name].reaction = reaction

    for scope_begin, scope_end in _scopes(text, headings):
        for begin, end in _items(text, scope_begin, scope_end):
            item = text[begin:end]
            if _NONE_KNOWN.search(item) or _NEGATED_ITEM.match(item):
                continue
            substances = [
                sub for sub in _substances(text, begin, end, matches)
                if not _TOLERATED.search(text, max(begin, sub[0] - 40), sub[0])
            ]  # fmt: skip
            if not substances:
                head = _HEAD.match(item)
                if head is None:
                    continue
                name = re.sub(r"\s+", " ", head.group("head").strip().lower())
                if not name or name in _NOT_SUBSTANCES:
                    continue
                b = begin + head.start("head")
                substances = [(b, b + len(head.group("head").strip()), name)]
            for index, (b, e, name) in enumerate(substances):
                limit = substances[index + 1][0] if index + 1 < len(substances) else end
                add(b, e, name, _reaction(text, e, limit))
    for phrase in itertools.islice(_PHRASE.finditer(text), _MAX_PHRASES):
        if _NEGATED_ITEM.search(text[max(0, phrase.start() - 12) : phrase.start()].strip()[-8:]):
            continue
        line_start = text.rfind("\n", max(0, phrase.start() - 200), phrase.start()) + 1
        lead = text[max(line_start, phrase.start() - 200) : phrase.start()].strip()
        if phrase.group().rstrip().endswith(":") and lead and lead[-1] not in ".;:":
            continue  # "7. Peanut allergy: EpiPen at bedside" is a plan item, not a list
        stop = _context_end(text, phrase.end())
        subs = _substances(text, phrase.end(), stop, matches)[:3]
        for index, (b, e, name) in enumerate(subs):
            limit = subs[index + 1][0] if index + 1 < len(subs) else stop
            add(b, e, name, _reaction(text, e, limit))
    for match in matches:
        drug = match.of_kind("medication")
        if drug is not None and _AFTER_NAME.match(text, match.end):
            assert isinstance(drug.definition, DrugDef)
            before = text[max(0, match.begin - 12) : match.begin].lower()
            if not re.search(r"\bno\s*$", before):
                add(match.begin, match.end, drug.definition.name, None)
    return sorted(found.values(), key=lambda a: a.begin_offset)


_NOT_SUBSTANCES = frozenset(
    "none nkda nka see above unknown reviewed per chart patient reports allergies rash hives "
    "itching nausea".split()
)


def _items(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    """The items of an allergy list: lines, sentences, or comma-separated entries ("LISINOPRIL
    (angioedema),Sulfa - rash"); a part with no substance of its own ("CEPHALEXIN, rash") stays
    with the entry before it."""
    items: list[tuple[int, int]] = []
    start = begin
    for stop in [*(m.start() for m in _ITEM_SPLIT.finditer(text, begin, end)), end]:
        if text[start:stop].strip():
            items.extend(_comma_parts(text, start, stop))
        start = stop + 1
    return items


def _comma_parts(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    parts: list[tuple[int, int]] = []
    start = begin
    for comma in [*(m.start() for m in re.finditer(",", text[begin:end])), end - begin]:
        stop = begin + comma
        piece = text[start:stop]
        entry = (
            bool(_ALLERGEN.search(piece))
            or bool(re.search(r"[-–(:]", piece))
            or (piece.strip()[:1].isupper() and len(piece.split()) <= 3 and not parts)
        )
        if parts and not entry:
            parts[-1] = (parts[-1][0], stop)  # a reaction after a comma belongs to the entry
        else:
            parts.append((start, stop))
        start = stop + 1
    return parts


_PHRASE_END = re.compile(r"\n|(?<=[a-z)])\.(?=\s|$)|;")
_MAX_PHRASES = 50
"""Allergy phrases read per report (a real one has a handful)."""


def _context_end(text: str, begin: int) -> int:
    limit = min(len(text), begin + 300)
    stop = _PHRASE_END.search(text, begin, limit)
    return stop.start() if stop else limit


def _substances(
    text: str, begin: int, end: int, matches: Sequence[Match]
) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for match in matches:
        drug = match.of_kind("medication")
        if drug is None or not begin <= match.begin < end:
            continue
        assert isinstance(drug.definition, DrugDef)
        out.append((match.begin, match.end, drug.definition.name))
        taken.append((match.begin, match.end))
    for allergen in _ALLERGEN.finditer(text, begin, end):
        if any(b <= allergen.start() < e for b, e in taken):
            continue
        group = next(k for k, v in allergen.groupdict().items() if v)
        out.append((allergen.start(), allergen.end(), _OTHER_ALLERGENS[int(group[1:])][1]))
    return out
