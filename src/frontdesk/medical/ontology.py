"""Ontology validation: ICD-10-CM codes for diagnoses, generic drug names, units for labs.

`validate(extraction)` returns a copy of the extraction with

- every diagnosis coded: a code the extractor (or a model) already gave is checked against
  ICD-10-CM (valid, billable = a leaf of the tree, official description); a diagnosis without a
  usable code is looked up by its text in the `IcdIndex` (below);
- every medication named by its generic, lower case (`brand` keeps the brand written);
- every lab's unit checked against the units that lab is reported in (`Lab.unit_ok`); nothing is
  converted, a mismatch only adds a note.

What could not be done goes to `Extraction.notes` (shown in the report as "unsure").

ICD-10-CM comes from simple-icd-10-cm (the CMS 2026 release). The package has no text search, so
`IcdIndex` builds one: normalised text (lower case, US spelling, roman stage/type numbers as
digits) -> code, from our curated synonyms (`data/icd10_synonyms.csv`: common conditions and
abbreviations, each pointing at the most specific sensible billable code, e.g. "T2DM" -> E11.9,
"CKD stage 3" -> N18.30), then every code's official description and inclusion terms (a category
resolves to its "unspecified" billable child). Importing the package parses its XML (~2 s), so the
index, with the description and billability of every code, is cached as JSON on disk in
`$FRONTDESK_DATA_DIR/cache/` (keyed by the package version and a hash of the synonyms file) and in
process (`icd_index()`): later processes load the JSON without importing the package.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import tempfile
import threading
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from frontdesk.medical._specificity import refine
from frontdesk.medical.entities import Diagnosis, Extraction, Lab, Medication
from frontdesk.medical.ranges import lab_catalog, same_unit

__all__ = [
    "IcdCode",
    "IcdIndex",
    "IcdMatch",
    "icd_index",
    "normalise_medication",
    "normalise_term",
    "validate",
]

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
SYNONYMS_FILE = DATA_DIR / "icd10_synonyms.csv"
BRANDS_FILE = DATA_DIR / "drug_brands.csv"
MEDICATIONS_FILE = DATA_DIR / "medications.csv"
_CACHE_FORMAT = 1

MatchKind = Literal["code", "synonym", "description", "partial"]


@dataclass(kw_only=True, slots=True, frozen=True)
class IcdCode:
    code: str
    """With its dot, as CMS writes it: "E11.9"."""
    description: str
    billable: bool
    """A leaf of the ICD-10-CM tree (a category with children is not billable)."""


@dataclass(kw_only=True, slots=True, frozen=True)
class IcdMatch:
    code: IcdCode
    kind: MatchKind
    """How it was found: the code given, a curated synonym, an official description or
    inclusion term, or a partial match (query words all in a description; less certain)."""
    term: str
    """The normalised text (or code) that matched."""


# Words a description may have beyond the query's in a partial match ("acute kidney failure" ->
# "Acute kidney failure, unspecified"): they do not make the code more specific.
_FILLER = frozenset(
    {
        "unspecified",
        "without",
        "complications",
        "complication",
        "of",
        "site",
        "type",
        "nos",
        "organism",
        "mention",
        "and",
        "or",
        "the",
        "other",
    }
)
_STOP = frozenset({"of", "the", "and", "with", "in", "a", "an", "to", "due", "or"})
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6"}
_UK_US = (
    ("haem", "hem"),
    ("aemia", "emia"),
    ("ischaem", "ischem"),
    ("oedema", "edema"),
    ("oesophag", "esophag"),
    ("tumour", "tumor"),
    ("leukaem", "leukem"),
    ("diarrhoea", "diarrhea"),
    ("paediatr", "pediatr"),
    ("oestr", "estr"),
    ("faec", "fec"),
    ("coeliac", "celiac"),
)
# "h/o breast cancer", "prior DVT": tried as "history of ..." (a curated personal-history code,
# e.g. Z85.3, when there is one), then without the prefix.
_HISTORY_PREFIXES = ("history of ", "h o ", "hx of ", "hx ", "prior ", "previous ", "past ")
_OTHER_PREFIXES = ("known ", "chronic stable ", "worsening ", "new ")
_PLURAL = re.compile(r"(?<=[a-z]{3})(?<![sui])s\b")  # effusions -> effusion; not abscess, sepsis


_NON_WORD = re.compile(r"[^a-z0-9.]+")
_LONE_DOT = re.compile(r"(?<![0-9])\.|\.(?![0-9])")
_UK = re.compile("|".join(uk for uk, _ in _UK_US))
_US = dict(_UK_US)


def normalise_term(text: str) -> str:
    """The key both index terms and queries are reduced to: lower case ASCII, US spelling,
    punctuation as spaces, "stage iii" / "type ii" as digits, single spaces."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.lower().replace("'", "")
    if "ae" in text or "oe" in text or "our" in text:
        text = _UK.sub(lambda m: _US[m.group(0)], text)
    text = _NON_WORD.sub(" ", text)
    if "." in text:
        text = _LONE_DOT.sub(" ", text)
    words = text.split()
    for i in range(1, len(words)):
        if words[i] in _ROMAN and words[i - 1] in {"stage", "type", "grade", "class"}:
            words[i] = _ROMAN[words[i]]
    return " ".join(words)


def _candidates(term: str) -> list[str]:
    """The forms of a normalised term to look up, most literal first: as written, as "history
    of ..." for the history prefixes, without its prefix, and each of those in the singular."""
    out = [term]
    for prefix in _HISTORY_PREFIXES:
        if term.startswith(prefix):
            rest = term[len(prefix) :]
            out += [f"history of {rest}", rest]
    for prefix in _OTHER_PREFIXES:
        if term.startswith(prefix):
            out.append(term[len(prefix) :])
    out += [_PLURAL.sub("", t) for t in out]
    return list(dict.fromkeys(out))


def _code_key(code: str) -> str:
    """ "e119" / "E11.9 " -> "E11.9" (CMS spelling, dot after the category)."""
    code = code.strip().upper().replace(" ", "")
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    return code


@dataclass(kw_only=True, slots=True)
class IcdIndex:
    """Every ICD-10-CM code (categories and below) and a text -> code table."""

    version: str
    codes: dict[str, tuple[str, bool]]
    """code -> (description, billable)."""
    terms: dict[str, str]
    """normalised text -> code (synonyms first; they win over descriptions)."""
    synonyms: frozenset[str] = frozenset()
    _words: dict[str, list[str]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def code(self, code: str) -> IcdCode | None:
        """The code's record, or None when it is not an ICD-10-CM code."""
        key = _code_key(code)
        found = self.codes.get(key)
        if found is None:
            return None
        return IcdCode(code=key, description=found[0], billable=found[1])

    def lookup(self, text: str, *, history: bool = False) -> IcdMatch | None:
        """The best code for a diagnosis as written, or None when nothing fits well enough.
        `history=True` (a past condition) first tries the text as "history of ...", which
        finds the curated personal-history codes (Z85.3 for breast cancer...)."""
        term = normalise_term(text)
        if not term:
            return None
        candidates = _candidates(term)
        if history and not term.startswith("history of "):
            past = f"history of {term}"
            if past in self.synonyms:
                candidates.insert(0, past)
        for candidate in candidates:
            code = self.terms.get(candidate)
            if code is not None:
                record = self.code(code)
                assert record is not None
                kind: MatchKind = "synonym" if candidate in self.synonyms else "description"
                return IcdMatch(code=record, kind=kind, term=candidate)
        for candidate in candidates:
            partial = self._partial(candidate)
            if partial is not None:
                return partial
        return None

    def _partial(self, term: str) -> IcdMatch | None:
        """The indexed term (description, inclusion term or synonym) that has every query word
        and otherwise only filler words, pointing at a billable code; the shortest wins."""
        wanted = [w for w in term.split() if w not in _STOP]
        if not wanted:
            return None
        words = self._word_index()
        pools = [words.get(w) for w in wanted]
        if not all(pools):
            return None
        pools_ok = sorted((p for p in pools if p is not None), key=len)
        allowed = set(wanted) | _STOP | _FILLER
        best: str | None = None
        for candidate in set(pools_ok[0]).intersection(*pools_ok[1:]):
            if not self.codes[self.terms[candidate]][1]:
                continue
            if set(candidate.split()) <= allowed and (
                best is None or (len(candidate), candidate) < (len(best), best)
            ):
                best = candidate
        if best is None:
            return None
        record = self.code(self.terms[best])
        assert record is not None
        return IcdMatch(code=record, kind="partial", term=best)

    def _word_index(self) -> dict[str, list[str]]:
        with self._lock:
            if self._words is None:
                index: dict[str, list[str]] = {}
                for known in self.terms:
                    for word in set(known.split()):
                        index.setdefault(word, []).append(known)
                self._words = index
            return self._words


def icd_module() -> Any:
    """simple_icd_10_cm, imported quietly (it uses a deprecated importlib API at import)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm  # type: ignore[import-untyped]

    return simple_icd_10_cm


def _read_synonyms(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [(normalise_term(row["term"]), _code_key(row["code"])) for row in csv.DictReader(f)]


@functools.cache
def _cache_key() -> str:
    version = importlib.metadata.version("simple-icd-10-cm")
    digest = hashlib.sha256(SYNONYMS_FILE.read_bytes()).hexdigest()[:12]
    return f"{version}-{digest}-f{_CACHE_FORMAT}"


_MODIFIERS = re.compile(r"\([^)]*\)|\[[^\]]*\]")


_DEFAULT_WORDS = frozenset({"unspecified", "without"})


def _words_of(description: str) -> list[str]:
    return description.lower().replace(",", " ").split()


def _billable_default(
    cm: Any, code: str, codes: dict[str, tuple[str, bool]], memo: dict[str, str]
) -> str:
    """A category's most general billable child: the child whose description adds
    "unspecified" or "without ..." to its parent's (K50.9 -> K50.90 "..., without
    complications"), else the "Other ..." child, as ICD-10-CM's index defaults do; the code
    itself when neither exists."""

    def adds(child: str, parent: str, words: frozenset[str]) -> bool:
        extra = set(_words_of(codes[child][0])) - set(_words_of(codes[parent][0]))
        return bool(extra & words)

    path: list[str] = []
    while not codes[code][1]:
        if code in memo:
            code = memo[code]
            break
        path.append(code)
        children = [c for c in cm.get_children(code) if c in codes]
        preferred = [c for c in children if adds(c, code, _DEFAULT_WORDS)]
        if not preferred:
            preferred = [c for c in children if codes[c][0].startswith("Other ")]
        if not preferred:
            break
        code = min(preferred, key=lambda c: (len(codes[c][0]), c))
    for visited in path:
        memo[visited] = code
    return code


def build_index() -> IcdIndex:
    """Build the index from simple-icd-10-cm and the synonyms file (slow: ~2-3 s)."""
    cm = icd_module()
    codes: dict[str, tuple[str, bool]] = {}
    for code in cm.get_all_codes(True):
        # Some blocks share their one category's name ("B20"): keep codes that are categories.
        if cm.is_category_or_subcategory(code) or cm.is_extended_subcategory(code):
            codes[code] = (cm.get_description(code), bool(cm.is_leaf(code)))
    terms: dict[str, str] = {}
    synonyms = _read_synonyms(SYNONYMS_FILE)
    for term, code in synonyms:
        if code not in codes:
            raise ValueError(f"{SYNONYMS_FILE.name}: {code!r} (for {term!r}) is not ICD-10-CM")
        terms.setdefault(term, code)
    # Billable codes first, so that a description shared by a category and its child maps to
    # the child.
    ordered = sorted(codes, key=lambda c: (not codes[c][1], c))
    memo: dict[str, str] = {}
    for code in ordered:
        target = code if codes[code][1] else _billable_default(cm, code, codes, memo)
        for text in [codes[code][0], *cm.get_inclusion_term(code)]:
            terms.setdefault(normalise_term(text), target)
            # Without its nonessential modifiers: "Essential (primary) hypertension" is also
            # "essential hypertension", "Chronic systolic (congestive) heart failure" also
            # "chronic systolic heart failure".
            if "(" in text or "[" in text:
                terms.setdefault(normalise_term(_MODIFIERS.sub(" ", text)), target)
    return IcdIndex(
        version=_cache_key(),
        codes=codes,
        terms=terms,
        synonyms=frozenset(t for t, _ in synonyms),
    )


def _cache_dir() -> Path:
    from frontdesk.config import load_settings

    return load_settings().data_dir / "cache"


def load_index(path: Path) -> IcdIndex | None:
    """The index cached at `path`, or None when there is none (or it is unreadable)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return IcdIndex(
            version=raw["version"],
            codes={c: (d, bool(b)) for c, (d, b) in raw["codes"].items()},
            terms=raw["terms"],
            synonyms=frozenset(raw["synonyms"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_index(index: IcdIndex, path: Path) -> None:
    """Write the index as JSON, atomically (a reader never sees half a file)."""
    payload = {
        "version": index.version,
        "codes": {c: [d, int(b)] for c, (d, b) in index.codes.items()},
        "terms": index.terms,
        "synonyms": sorted(index.synonyms),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(payload, f, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_MEMORY: dict[str, IcdIndex] = {}
_MEMORY_LOCK = threading.Lock()


def icd_index(cache_dir: Path | None = None) -> IcdIndex:
    """The ICD-10-CM index: this process's copy, else the JSON cache under `cache_dir` (default
    `$FRONTDESK_DATA_DIR/cache`), else built and written there. The in-process copy is keyed by
    the cache key (package version + synonyms hash), not by directory: it is the same data."""
    key = _cache_key()
    with _MEMORY_LOCK:
        index = _MEMORY.get(key)
        if index is None:
            path = (cache_dir if cache_dir is not None else _cache_dir()) / index_file_name()
            index = load_index(path)
            if index is None or index.version != key:
                index = build_index()
                try:
                    save_index(index, path)
                except OSError as exc:  # e.g. a read-only data dir: keep it in process only
                    log.warning("could not cache the ICD-10-CM index at %s: %s", path, exc)
            _MEMORY[key] = index
        return index


def index_file_name() -> str:
    return f"icd10cm-index-{_cache_key()}.json"


# ---- medications ---------------------------------------------------------------------------


@functools.cache
def _brands() -> dict[str, str]:
    """Brand (or written variant) -> generic: drug_brands.csv, plus the brands and synonyms
    columns of the extractor's medications.csv when it is there."""
    table: dict[str, str] = {}
    if MEDICATIONS_FILE.exists():
        with MEDICATIONS_FILE.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                generic = row["name"].strip().lower()
                for col in ("brands", "synonyms"):
                    for variant in (row.get(col) or "").split("|"):
                        if variant.strip():
                            table[_med_key(variant)] = generic
    with BRANDS_FILE.open(encoding="utf-8", newline="") as f:
        table.update(
            {_med_key(r["brand"]): r["generic"].strip().lower() for r in csv.DictReader(f)}
        )
    return table


def _med_key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower().replace("®", "").replace("™", ""))


def normalise_medication(name: str) -> tuple[str, str | None]:
    """(generic name in lower case, the brand when `name` was one)."""
    key = _med_key(name)
    generic = _brands().get(key)
    if generic is None or generic == key:
        return key, None
    return generic, name.strip()


# ---- validate ------------------------------------------------------------------------------


def validate(extraction: Extraction, text: str | None = None) -> Extraction:
    """A copy of `extraction` with codes, generic names and unit checks (see the module doc).
    With the report's `text`, a code also takes the side written beside its mention."""
    notes = list(extraction.notes)
    index = icd_index() if extraction.diagnoses else None
    diagnoses = [_validate_diagnosis(d, index, notes) for d in extraction.diagnoses]
    if index is not None:
        # the most specific code the whole report supports (hypertensive CKD, the type of
        # diabetes, "anemia" beside "acute blood loss anemia")
        diagnoses = [
            d if d.description is not None else _validate_diagnosis(d, index, notes)
            for d in refine(
                diagnoses,
                lambda code: index.code(code) is not None,
                (lambda d: text[max(0, d.begin_offset - 40) : d.end_offset + 40]) if text else None,
            )
        ]
    medications = [_validate_medication(m) for m in extraction.medications]
    labs = [_validate_lab(lab, notes) for lab in extraction.labs]
    return replace(
        extraction,
        diagnoses=diagnoses,
        medications=medications,
        labs=labs,
        notes=_dedupe(notes),
    )


def _validate_diagnosis(dx: Diagnosis, index: IcdIndex | None, notes: list[str]) -> Diagnosis:
    assert index is not None
    if dx.icd10:
        given = index.code(dx.icd10)
        if given is not None:
            if not given.billable:
                notes.append(
                    f"diagnosis {dx.text!r}: {given.code} is an ICD-10-CM category, not a "
                    f"billable code; a more specific code is needed"
                )
            return replace(
                dx, icd10=given.code, description=given.description, billable=given.billable
            )
        notes.append(
            f"diagnosis {dx.text!r}: {dx.icd10!r} is not an ICD-10-CM code; looked it up by "
            f"its text instead"
        )
    match = index.lookup(dx.text, history=dx.history and dx.subject == "patient")
    if match is None:
        notes.append(f"diagnosis {dx.text!r}: no ICD-10-CM code found")
        return replace(dx, icd10=None, description=None, billable=None)
    if match.kind == "partial":
        notes.append(
            f"diagnosis {dx.text!r}: coded {match.code.code} ({match.code.description}) by a "
            f"partial text match; check it"
        )
    return replace(
        dx,
        icd10=match.code.code,
        description=match.code.description,
        billable=match.code.billable,
    )


def _validate_medication(med: Medication) -> Medication:
    generic, brand = normalise_medication(med.name)
    if brand is None:
        return replace(med, name=generic)
    return replace(med, name=generic, brand=med.brand or brand)


def _validate_lab(lab: Lab, notes: list[str]) -> Lab:
    catalog = lab_catalog()
    loinc = lab.loinc or catalog.resolve(lab.name)
    if loinc is None:
        notes.append(f"lab {lab.name!r}: not a lab we know; its unit was not checked")
        return replace(lab, unit_ok=None)
    accepted = catalog.units(loinc)
    if not accepted:
        return replace(lab, loinc=loinc, unit_ok=None)
    ok = any(same_unit(lab.unit, u) for u in accepted)
    if not ok:
        notes.append(
            f"lab {lab.name}: unit {lab.unit or '(none)'!r} is not one it is reported in "
            f"({', '.join(accepted)}); the value was not converted or compared with a range"
        )
    return replace(lab, loinc=loinc, unit_ok=ok)


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
