"""What the clinic's tools run against: the database, the signed-in patient and the clock.

A `ClinicDeps` travels in `ToolContext.deps`. The patient comes from here, never from a tool
argument, so a model cannot read or change another patient's records. `today` (and, for tests,
`time_of_day`) is injectable so "tomorrow at 10" means the same thing in every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from frontdesk.apps.clinic import db
from frontdesk.tools import ToolContext

DEMO_PATIENT_ID = "P-1001"
DATABASE_FILE = "clinic.sqlite3"


@dataclass(kw_only=True)
class ClinicDeps:
    """The clinic app's dependencies for one conversation."""

    db_path: Path
    patient_id: str = DEMO_PATIENT_ID
    today: date
    time_of_day: time | None = None
    """The time "now" is on `today`; None reads the wall clock."""

    def now(self) -> datetime:
        """The current moment, on `today`: earlier slots today count as past."""
        clock = self.time_of_day or datetime.now().time()
        return datetime.combine(self.today, clock.replace(second=0, microsecond=0))

    @classmethod
    def of(cls, ctx: ToolContext) -> ClinicDeps:
        """The deps a clinic tool runs with, from its context (a clear error when the app did
        not put them there)."""
        if not isinstance(ctx.deps, cls):
            raise TypeError("clinic tools need ToolContext(deps=ClinicDeps(...))")
        return ctx.deps

    @classmethod
    def create(
        cls,
        data_dir: Path,
        *,
        today: date | None = None,
        patient_id: str = DEMO_PATIENT_ID,
        time_of_day: time | None = None,
    ) -> ClinicDeps:
        """Deps over `<data_dir>/clinic.sqlite3`, creating and seeding the demo database when it
        is missing (its records are dated relative to `today`, by default the real date)."""
        day = today or date.today()
        path = data_dir / DATABASE_FILE
        db.ensure_database(path, today=day)
        return cls(db_path=path, patient_id=patient_id, today=day, time_of_day=time_of_day)
