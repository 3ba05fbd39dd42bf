"""Lab reference ranges (adult) and the lab catalog they are keyed by.

Two tables ship in `medical/data/`:

- `labs.csv` (loinc, name, synonyms, units): the labs the extractor knows, their names and the
  units each is reported in.
- `reference_ranges.csv` (loinc, name, sex, unit, low, high, critical_low, critical_high, source):
  one row per lab, unit and, where it matters, sex (empty = either). `unit` may list spellings
  that are the same quantity for that lab ("mmol/L|mEq/L" for sodium). A blank low/high means
  one-sided ("<100" for LDL). `source` names the reference the row follows.

Nothing is converted: a value is compared with the row in its own unit, or not at all.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from frontdesk.medical.entities import Flag

__all__ = [
    "LabCatalog",
    "RangeChoice",
    "ReferenceRange",
    "canonical_unit",
    "classify",
    "lab_catalog",
    "same_unit",
]

DATA_DIR = Path(__file__).parent / "data"
LABS_FILE = DATA_DIR / "labs.csv"
RANGES_FILE = DATA_DIR / "reference_ranges.csv"

Sex = Literal["female", "male"]

# Spellings that denote the same quantity for every lab (not conversions: 1 K/uL is 1 x10^9/L).
_UNIT_ALIASES = {
    "k/ul": "10^3/ul",
    "10^3/ul": "10^3/ul",
    "x10^3/ul": "10^3/ul",
    "10*3/ul": "10^3/ul",
    "thou/ul": "10^3/ul",
    "10^9/l": "10^3/ul",
    "x10^9/l": "10^3/ul",
    "10*9/l": "10^3/ul",
    "m/ul": "10^6/ul",
    "10^6/ul": "10^6/ul",
    "x10^6/ul": "10^6/ul",
    "10*6/ul": "10^6/ul",
    "10^12/l": "10^6/ul",
    "x10^12/l": "10^6/ul",
    "10*12/l": "10^6/ul",
    "iu/l": "u/l",
    "u/l": "u/l",
    "sec": "s",
    "seconds": "s",
    "s": "s",
    "mm/hr": "mm/h",
    "mm/h": "mm/h",
    "uiu/ml": "miu/l",
    "miu/l": "miu/l",
    "mu/l": "miu/l",
    "uu/ml": "miu/l",
    "ug/l": "ng/ml",
    "ng/ml": "ng/ml",
    "pg/ml": "ng/l",
    "ng/l": "ng/l",
    "ml/min/1.73m2": "ml/min/1.73m2",
    "ml/min/1.73m^2": "ml/min/1.73m2",
    "ml/min/1.73": "ml/min/1.73m2",
    "ratio": "",
}


def canonical_unit(unit: str) -> str:
    """One spelling per quantity: case, spaces, µ/mc and equivalent count notations folded."""
    u = unit.strip().lower().replace("µ", "u").replace("μ", "u").replace(" ", "")
    u = re.sub(r"^mc(?=g)", "u", u)
    u = u.replace("mcg", "ug").replace("×", "x")
    return _UNIT_ALIASES.get(u, u)


def same_unit(a: str, b: str) -> bool:
    return canonical_unit(a) == canonical_unit(b)


@dataclass(kw_only=True, slots=True, frozen=True)
class ReferenceRange:
    loinc: str
    name: str
    sex: Sex | None
    units: tuple[str, ...]
    low: float | None
    high: float | None
    critical_low: float | None = None
    critical_high: float | None = None
    source: str = ""
    low_text: str = ""
    high_text: str = ""
    """The limits as the table writes them ("5.0", not "5")."""

    @property
    def unit(self) -> str:
        return self.units[0]

    def matches(self, unit: str) -> bool:
        """The row applies to values in `unit` (one of its spellings of the same quantity)."""
        return any(same_unit(unit, u) for u in self.units)

    def text(self, unit: str | None = None) -> str:
        """The range as a report writes it: "0.7-1.3 mg/dL", "<100 mg/dL", ">=60 mL/min/1.73m2";
        in `unit`'s spelling when that is one of the row's (the lab's own, e.g. "x10^9/L" for a
        range kept as "10^3/uL")."""
        shown = unit if unit is not None and self.matches(unit) else self.unit
        unit = f" {shown}" if shown else ""
        low = self.low_text or (f"{self.low:g}" if self.low is not None else "")
        high = self.high_text or (f"{self.high:g}" if self.high is not None else "")
        if low and high:
            return f"{low}-{high}{unit}"
        if high:
            return f"<{high}{unit}"
        if low:
            return f">={low}{unit}"
        return f"(no limits){unit}"


def classify(value: float, rng: ReferenceRange) -> Flag:
    """low | normal | high | critical (outside a critical limit) for a value in rng's unit."""
    if rng.critical_low is not None and value < rng.critical_low:
        return "critical"
    if rng.critical_high is not None and value > rng.critical_high:
        return "critical"
    if rng.low is not None and value < rng.low:
        return "low"
    if rng.high is not None and value > rng.high:
        return "high"
    return "normal"


@dataclass(kw_only=True, slots=True, frozen=True)
class RangeChoice:
    range: ReferenceRange
    note: str | None = None
    """Set when the choice needs saying, e.g. the sex was unknown and both sexes' limits were
    merged into the wider range."""


@dataclass(kw_only=True, slots=True)
class LabCatalog:
    names: dict[str, str]
    """Lower-case name or synonym -> LOINC."""
    display: dict[str, str]
    """LOINC -> canonical name."""
    accepted_units: dict[str, list[str]]
    """LOINC -> the units the lab is reported in (labs.csv, plus the ranges' units)."""
    ranges: dict[str, list[ReferenceRange]]

    def resolve(self, name: str) -> str | None:
        """The LOINC code of a lab name or synonym (case-insensitive), or None."""
        return self.names.get(_name_key(name))

    def name(self, loinc: str) -> str | None:
        return self.display.get(loinc)

    def units(self, loinc: str) -> list[str]:
        return self.accepted_units.get(loinc, [])

    def choose(self, loinc: str, unit: str, sex: Sex | None) -> RangeChoice | None:
        """The range for a value of `loinc` in `unit` for a patient of `sex` (None = unknown):
        the sex's row, else the row for either sex, else (sex unknown) the widest range covering
        both sexes' rows, with a note. None when no row has that unit."""
        rows = [r for r in self.ranges.get(loinc, []) if r.matches(unit)]
        if not rows:
            return None
        if sex is not None:
            for row in rows:
                if row.sex == sex:
                    return RangeChoice(range=row)
        for row in rows:
            if row.sex is None:
                return RangeChoice(range=row)
        if sex is not None:
            return RangeChoice(
                range=rows[0],
                note=f"{rows[0].name}: no range for {sex} patients; used the {rows[0].sex} range",
            )
        wide = _widest(rows)
        return RangeChoice(
            range=wide,
            note=(
                f"{wide.name}: sex not given; used the wider range {wide.text()} covering "
                f"{' and '.join(sorted(str(r.sex) for r in rows))} limits"
            ),
        )


def _widest(rows: list[ReferenceRange]) -> ReferenceRange:
    """One range covering all rows: the lowest low and the highest high (each side open if any
    row's is), likewise for the critical limits."""

    def pick(values: list[float | None], *, lowest: bool) -> int | None:
        if not values or any(v is None for v in values):
            return None
        known = [v for v in values if v is not None]
        return known.index(min(known) if lowest else max(known))

    low_i = pick([r.low for r in rows], lowest=True)
    high_i = pick([r.high for r in rows], lowest=False)
    crit_low_i = pick([r.critical_low for r in rows], lowest=True)
    crit_high_i = pick([r.critical_high for r in rows], lowest=False)
    first = rows[0]
    return ReferenceRange(
        loinc=first.loinc,
        name=first.name,
        sex=None,
        units=first.units,
        low=rows[low_i].low if low_i is not None else None,
        high=rows[high_i].high if high_i is not None else None,
        critical_low=rows[crit_low_i].critical_low if crit_low_i is not None else None,
        critical_high=rows[crit_high_i].critical_high if crit_high_i is not None else None,
        source="; ".join(dict.fromkeys(r.source for r in rows)),
        low_text=rows[low_i].low_text if low_i is not None else "",
        high_text=rows[high_i].high_text if high_i is not None else "",
    )


def _name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def _float(raw: str | None, *, where: str) -> float | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{where}: {raw!r} is not a number") from None


def load_ranges(path: Path = RANGES_FILE) -> list[ReferenceRange]:
    out: list[ReferenceRange] = []
    with path.open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            where = f"{path.name} line {line}"
            raw_sex = row["sex"].strip()
            sex: Sex | None
            if raw_sex == "female":
                sex = "female"
            elif raw_sex == "male":
                sex = "male"
            elif not raw_sex:
                sex = None
            else:
                raise ValueError(f"{where}: sex must be female, male or empty, not {raw_sex!r}")
            out.append(
                ReferenceRange(
                    loinc=row["loinc"].strip(),
                    name=row["name"].strip(),
                    sex=sex,
                    units=tuple(u.strip() for u in row["unit"].split("|")),
                    low=_float(row["low"], where=where),
                    high=_float(row["high"], where=where),
                    critical_low=_float(row["critical_low"], where=where),
                    critical_high=_float(row["critical_high"], where=where),
                    source=row["source"].strip(),
                    low_text=row["low"].strip(),
                    high_text=row["high"].strip(),
                )
            )
    return out


@functools.cache
def lab_catalog() -> LabCatalog:
    """The catalog from labs.csv (when present) and reference_ranges.csv, read once."""
    names: dict[str, str] = {}
    display: dict[str, str] = {}
    units: dict[str, list[str]] = {}
    ranges: dict[str, list[ReferenceRange]] = {}
    for rng in load_ranges():
        ranges.setdefault(rng.loinc, []).append(rng)
        display.setdefault(rng.loinc, rng.name)
        names.setdefault(_name_key(rng.name), rng.loinc)
    if LABS_FILE.exists():
        with LABS_FILE.open(encoding="utf-8", newline="") as f:
            for lab in csv.DictReader(f):
                loinc = lab["loinc"].strip()
                display[loinc] = lab["name"].strip()
                for name in [lab["name"], *(lab.get("synonyms") or "").split("|")]:
                    if name.strip():
                        names[_name_key(name)] = loinc
                units[loinc] = [u.strip() for u in (lab.get("units") or "").split("|") if u.strip()]
    for loinc, rows in ranges.items():
        have = units.setdefault(loinc, [])
        for rng in rows:
            for unit in rng.units:
                if not any(same_unit(unit, u) for u in have):
                    have.append(unit)
    return LabCatalog(names=names, display=display, accepted_units=units, ranges=ranges)
