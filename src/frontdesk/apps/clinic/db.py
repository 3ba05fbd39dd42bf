"""The clinic's demo database (SQLite): doctors, patients, appointments, invoices, payments.

Synchronous on purpose: every function opens its own short connection (WAL, busy timeout), so
async tools call them through `asyncio.to_thread` and concurrent requests never share a handle.
The data is seeded relative to the day the database is created, so the demo always has visits
"next week" and a duplicate card payment "last week".

The scheduling rules live here, next to the data they protect: a visit is one 30-minute slot,
on a day and within hours the doctor works, in the future and within the booking window; a
partial UNIQUE index on (doctor, start) of scheduled visits makes double booking impossible
even between processes. Refusals raise `ClinicError`, whose message is written for the patient.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from frontdesk.apps.clinic.slots import format_day, format_time, format_when
from frontdesk.errors import InvalidInput

SLOT_MINUTES = 30
BOOKING_WINDOW_DAYS = 90

_SCHEMA = """
CREATE TABLE IF NOT EXISTS doctors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    specialty TEXT NOT NULL,
    location TEXT NOT NULL,
    work_days TEXT NOT NULL,          -- ISO weekdays, "1,2,3" = Monday to Wednesday
    start_time TEXT NOT NULL,         -- "09:00"
    end_time TEXT NOT NULL,           -- "17:00": the last visit ends by then
    telehealth INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS patients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    insurer TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS appointments (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    doctor_id TEXT NOT NULL REFERENCES doctors(id),
    start TEXT NOT NULL,              -- local time, "2026-03-12T10:00"
    duration_min INTEGER NOT NULL DEFAULT 30,
    reason TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'cancelled', 'completed'))
);
CREATE UNIQUE INDEX IF NOT EXISTS one_visit_per_doctor_slot
    ON appointments (doctor_id, start) WHERE status = 'scheduled';
CREATE TABLE IF NOT EXISTS invoices (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    appointment_id TEXT REFERENCES appointments(id),
    service_date TEXT NOT NULL,
    description TEXT NOT NULL,
    charge_cents INTEGER NOT NULL,
    insurance_adjustment_cents INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'refunded'))
);
CREATE TABLE IF NOT EXISTS payments (
    id TEXT PRIMARY KEY,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    invoice_id TEXT NOT NULL REFERENCES invoices(id),
    paid_at TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    method TEXT NOT NULL,
    card_last4 TEXT
);
CREATE TABLE IF NOT EXISTS refund_requests (
    id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL UNIQUE REFERENCES payments(id),
    patient_id TEXT NOT NULL REFERENCES patients(id),
    requested_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'refunded'))
);
"""


class ClinicError(InvalidInput):
    """A request the clinic's records refuse (slot taken, outside hours, unknown appointment).
    The message says what was wrong, for the patient to read."""


@dataclass(kw_only=True, slots=True, frozen=True)
class Doctor:
    """A doctor and the weekly hours they see patients."""

    id: str
    name: str
    specialty: str
    location: str
    work_days: tuple[int, ...]  # ISO weekdays, 1 = Monday
    start: time
    end: time
    telehealth: bool

    @property
    def title(self) -> str:
        """ "Dr. Patel"."""
        return f"Dr. {self.name.split()[-1]}"

    def works_on(self, day: date) -> bool:
        return day.isoweekday() in self.work_days

    def slot_starts(self, day: date) -> list[datetime]:
        """Every visit start on `day` (empty when the doctor does not work that day)."""
        if not self.works_on(day):
            return []
        starts: list[datetime] = []
        current = datetime.combine(day, self.start)
        while current + timedelta(minutes=SLOT_MINUTES) <= datetime.combine(day, self.end):
            starts.append(current)
            current += timedelta(minutes=SLOT_MINUTES)
        return starts


@dataclass(kw_only=True, slots=True, frozen=True)
class Appointment:
    """A visit of a patient with a doctor."""

    id: str
    patient_id: str
    doctor: Doctor
    start: datetime
    duration_min: int
    reason: str
    status: str


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A fresh autocommit connection (transactions are explicit), closed on exit."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        yield conn
    finally:
        conn.close()


@contextmanager
def transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE), so a check and
    the write that follows it cannot interleave with another writer."""
    with connect(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def ensure_database(path: Path, *, today: date) -> None:
    """Create the schema (idempotent) and seed the demo data if the database is empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as conn:
        conn.executescript(_SCHEMA)  # outside a transaction: executescript commits first
    with transaction(path) as conn:  # two first runs at once seed only once
        if conn.execute("SELECT COUNT(*) FROM doctors").fetchone()[0] == 0:
            _seed(conn, today)


def _doctor(row: sqlite3.Row) -> Doctor:
    return Doctor(
        id=row["id"],
        name=row["name"],
        specialty=row["specialty"],
        location=row["location"],
        work_days=tuple(int(d) for d in row["work_days"].split(",")),
        start=time.fromisoformat(row["start_time"]),
        end=time.fromisoformat(row["end_time"]),
        telehealth=bool(row["telehealth"]),
    )


def doctors(path: Path) -> list[Doctor]:
    """All doctors, in id order."""
    with connect(path) as conn:
        return [_doctor(r) for r in conn.execute("SELECT * FROM doctors ORDER BY id")]


def _appointments(conn: sqlite3.Connection, where: str, *args: object) -> list[Appointment]:
    by_id = {d.id: d for d in map(_doctor, conn.execute("SELECT * FROM doctors"))}
    rows = conn.execute(f"SELECT * FROM appointments WHERE {where} ORDER BY start", args)
    return [
        Appointment(
            id=r["id"],
            patient_id=r["patient_id"],
            doctor=by_id[r["doctor_id"]],
            start=datetime.fromisoformat(r["start"]),
            duration_min=r["duration_min"],
            reason=r["reason"],
            status=r["status"],
        )
        for r in rows
    ]


def upcoming_appointments(path: Path, patient_id: str, now: datetime) -> list[Appointment]:
    """A patient's scheduled visits that have not started yet, soonest first."""
    with connect(path) as conn:
        return _appointments(
            conn, "patient_id = ? AND status = 'scheduled' AND start > ?", patient_id, _iso(now)
        )


def appointment(path: Path, appointment_id: str) -> Appointment | None:
    """One appointment by id, whoever it belongs to (callers check the patient)."""
    with connect(path) as conn:
        found = _appointments(conn, "id = ?", appointment_id)
    return found[0] if found else None


def booked_starts(
    path: Path, doctor_ids: Sequence[str], first: date, last: date
) -> set[tuple[str, datetime]]:
    """(doctor id, start) of every scheduled visit of these doctors from `first` to `last`."""
    marks = ",".join("?" * len(doctor_ids))
    with connect(path) as conn:
        rows = conn.execute(
            f"SELECT doctor_id, start FROM appointments WHERE status = 'scheduled' "
            f"AND doctor_id IN ({marks}) AND start >= ? AND start < ?",
            (*doctor_ids, first.isoformat(), (last + timedelta(days=1)).isoformat()),
        )
        return {(r["doctor_id"], datetime.fromisoformat(r["start"])) for r in rows}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _weekdays(days: Sequence[int]) -> str:
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    chosen = [names[d - 1] for d in days]
    if len(chosen) > 2 and list(days) == list(range(days[0], days[-1] + 1)):
        return f"{chosen[0]} to {chosen[-1]}"
    return ", ".join(chosen[:-1]) + f" and {chosen[-1]}" if len(chosen) > 1 else chosen[0]


def hours_text(doctor: Doctor) -> str:
    """ "Monday to Friday, 9:00 AM–5:00 PM"."""
    return f"{_weekdays(doctor.work_days)}, {format_time(doctor.start)}–{format_time(doctor.end)}"


def check_slot(doctor: Doctor, start: datetime, now: datetime) -> None:
    """Raise `ClinicError` unless `start` is a bookable slot of `doctor` (ignoring bookings)."""
    if start.minute % SLOT_MINUTES or start.second:
        raise ClinicError(
            f"Visits start on the hour or half hour; {start:%H:%M} is not a slot start."
        )
    if start <= now:
        raise ClinicError(f"{format_when(start)} has already passed; please pick a later time.")
    if start.date() > now.date() + timedelta(days=BOOKING_WINDOW_DAYS):
        raise ClinicError(
            f"We book at most {BOOKING_WINDOW_DAYS} days ahead; {format_day(start.date())} "
            "is too far out."
        )
    if not doctor.works_on(start.date()):
        raise ClinicError(
            f"{doctor.title} doesn't work on {start:%A}s (hours: {hours_text(doctor)})."
        )
    if start not in doctor.slot_starts(start.date()):
        raise ClinicError(
            f"{format_when(start)} is outside {doctor.title}'s hours ({hours_text(doctor)})."
        )


def _check_patient_free(
    conn: sqlite3.Connection, patient_id: str, start: datetime, ignore: str = ""
) -> None:
    clash = conn.execute(
        "SELECT id FROM appointments WHERE patient_id = ? AND start = ? "
        "AND status = 'scheduled' AND id != ?",
        (patient_id, _iso(start), ignore),
    ).fetchone()
    if clash:
        raise ClinicError(f"You already have appointment {clash['id']} at that time.")


def _taken(doctor: Doctor, start: datetime) -> ClinicError:
    return ClinicError(f"{doctor.title} is already booked on {format_when(start)}.")


def book(
    path: Path, *, patient_id: str, doctor: Doctor, start: datetime, now: datetime, reason: str
) -> Appointment:
    """Book a visit; raises `ClinicError` for a slot that is not bookable or already taken."""
    check_slot(doctor, start, now)
    with transaction(path) as conn:
        _check_patient_free(conn, patient_id, start)
        number = conn.execute(
            "SELECT COALESCE(MAX(CAST(SUBSTR(id, 3) AS INTEGER)), 100) + 1 FROM appointments"
        ).fetchone()[0]
        try:
            conn.execute(
                "INSERT INTO appointments (id, patient_id, doctor_id, start, duration_min, "
                "reason, status) VALUES (?, ?, ?, ?, ?, ?, 'scheduled')",
                (f"A-{number}", patient_id, doctor.id, _iso(start), SLOT_MINUTES, reason),
            )
        except sqlite3.IntegrityError as exc:
            raise _taken(doctor, start) from exc
    return Appointment(
        id=f"A-{number}",
        patient_id=patient_id,
        doctor=doctor,
        start=start,
        duration_min=SLOT_MINUTES,
        reason=reason,
        status="scheduled",
    )


def _own_upcoming(
    conn: sqlite3.Connection, patient_id: str, appointment_id: str, now: datetime
) -> Appointment:
    found = _appointments(conn, "id = ? AND patient_id = ?", appointment_id, patient_id)
    if not found:
        raise ClinicError(f"You have no appointment {appointment_id}.")
    current = found[0]
    if current.status != "scheduled":
        raise ClinicError(f"Appointment {appointment_id} is already {current.status}.")
    if current.start <= now:
        raise ClinicError(f"Appointment {appointment_id} has already taken place.")
    return current


def cancel(path: Path, *, patient_id: str, appointment_id: str, now: datetime) -> Appointment:
    """Cancel one of the patient's upcoming visits; returns it as it was before."""
    with transaction(path) as conn:
        current = _own_upcoming(conn, patient_id, appointment_id, now)
        conn.execute("UPDATE appointments SET status = 'cancelled' WHERE id = ?", (current.id,))
    return current


def reschedule(
    path: Path, *, patient_id: str, appointment_id: str, new_start: datetime, now: datetime
) -> tuple[Appointment, Appointment]:
    """Move one of the patient's upcoming visits to another slot of the same doctor; returns
    (before, after)."""
    with transaction(path) as conn:
        current = _own_upcoming(conn, patient_id, appointment_id, now)
        if new_start == current.start:
            raise ClinicError(f"Appointment {appointment_id} is already at that time.")
        check_slot(current.doctor, new_start, now)
        _check_patient_free(conn, patient_id, new_start, ignore=current.id)
        try:
            conn.execute(
                "UPDATE appointments SET start = ? WHERE id = ?", (_iso(new_start), current.id)
            )
        except sqlite3.IntegrityError as exc:
            raise _taken(current.doctor, new_start) from exc
    moved = Appointment(
        id=current.id,
        patient_id=current.patient_id,
        doctor=current.doctor,
        start=new_start,
        duration_min=current.duration_min,
        reason=current.reason,
        status=current.status,
    )
    return current, moved


# --- demo data -------------------------------------------------------------------------------

_DOCTORS = [
    ("D-01", "Priya Patel", "Family Medicine", "Main Campus, 2nd floor", "1,2,3,4,5", "09:00",
     "17:00", 1),
    ("D-02", "Marcus Chen", "Cardiology", "Main Campus, Heart Center, 3rd floor", "2,4",
     "08:00", "16:00", 1),
    ("D-03", "Lena Nguyen", "Dermatology", "Main Campus, 4th floor", "1,3,5", "10:00", "18:00",
     0),
    ("D-04", "Samuel Okafor", "Pediatrics", "Eastside Walk-In and Pediatrics", "1,2,3,4,5",
     "08:00", "15:00", 1),
    ("D-05", "Elena Garcia", "Orthopedics", "Main Campus, 3rd floor", "1,4,5", "09:00", "17:00",
     0),
    ("D-06", "Hannah Kim", "Women's Health", "Northgate Family Health, Suite 200", "2,3,4",
     "09:00", "17:00", 1),
]  # fmt: skip
_PATIENTS = [
    ("P-1001", "Alex Rivera", "1988-07-14", "Aetna PPO"),
    ("P-1002", "Jordan Lee", "1954-02-03", "Medicare"),
    ("P-1003", "Sam Taylor", "1995-11-22", "Blue Cross Blue Shield PPO"),
]


def _work_day(days: str, start: date, step: int) -> date:
    """The first day from `start` (going forward for step=1, back for -1) in `days`."""
    while str(start.isoweekday()) not in days.split(","):
        start += timedelta(days=step)
    return start


def _seed(conn: sqlite3.Connection, today: date) -> None:
    """The demo records, dated relative to `today`. Alex Rivera (P-1001) has two visits coming
    up, a $225 open balance, and was charged twice by card for last week's visit."""
    conn.executemany("INSERT INTO doctors VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _DOCTORS)
    conn.executemany("INSERT INTO patients VALUES (?, ?, ?, ?)", _PATIENTS)
    days = {d[0]: d[4] for d in _DOCTORS}

    def ahead(doctor: str, offset: int) -> date:
        return _work_day(days[doctor], today + timedelta(days=offset), 1)

    def back(doctor: str, offset: int) -> date:
        return _work_day(days[doctor], today - timedelta(days=offset), -1)

    last_week, knee, derm = back("D-01", 7), back("D-05", 36), back("D-03", 58)
    appointments = [
        ("A-101", "P-1001", "D-01", last_week, "10:00", "Sore throat and cough", "completed"),
        ("A-102", "P-1001", "D-03", ahead("D-03", 6), "14:00", "Skin check (biopsy follow-up)",
         "scheduled"),
        ("A-103", "P-1001", "D-02", ahead("D-02", 15), "09:00", "Blood pressure follow-up",
         "scheduled"),
        ("A-104", "P-1001", "D-05", knee, "11:00", "Knee pain", "completed"),
        ("A-105", "P-1001", "D-03", derm, "15:00", "Dermatology consultation", "completed"),
        ("A-106", "P-1001", "D-01", ahead("D-01", 1), "15:00", "Annual physical", "cancelled"),
        ("A-107", "P-1002", "D-01", ahead("D-01", 1), "09:00", "Medicare wellness visit",
         "scheduled"),
        ("A-108", "P-1003", "D-01", ahead("D-01", 1), "11:30", "Flu symptoms", "scheduled"),
        ("A-109", "P-1002", "D-02", ahead("D-02", 1), "10:00", "Cardiology follow-up",
         "scheduled"),
        ("A-110", "P-1003", "D-06", ahead("D-06", 1), "09:30", "Annual exam", "scheduled"),
    ]  # fmt: skip
    conn.executemany(
        "INSERT INTO appointments (id, patient_id, doctor_id, start, duration_min, reason, status)"
        " VALUES (?, ?, ?, ?, 30, ?, ?)",
        [
            (a, p, d, f"{day.isoformat()}T{at}", why, st)
            for a, p, d, day, at, why, st in appointments
        ],
    )
    labs, flu = back("D-01", 150), back("D-01", 120)
    invoices = [
        ("INV-1950", "P-1001", None, labs, "Lab work: lipid panel", 12000, 12000, "refunded"),
        ("INV-1960", "P-1001", None, flu, "Flu vaccine", 4500, 4500, "paid"),
        ("INV-1975", "P-1001", "A-105", derm,
         "Dermatology consultation with Dr. Lena Nguyen (applied to your deductible)", 31000,
         15000, "open"),
        ("INV-1982", "P-1001", "A-104", knee, "Knee X-ray, 2 views (Main Campus imaging)",
         18500, 12000, "open"),
        ("INV-2001", "P-1001", "A-101", last_week,
         "Office visit with Dr. Priya Patel (sore throat and cough)", 18500, 15500, "paid"),
        ("INV-1990", "P-1003", None, today - timedelta(days=25),
         "Office visit with Dr. Priya Patel", 18500, 14000, "paid"),
        ("INV-2002", "P-1002", None, today - timedelta(days=10), "Medicare wellness visit",
         22000, 22000, "paid"),
    ]  # fmt: skip
    conn.executemany(
        "INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(i, p, a, day.isoformat(), *rest) for i, p, a, day, *rest in invoices],
    )
    visit = last_week.isoformat()
    payments = [
        ("PAY-2950", "P-1001", "INV-1950", f"{labs.isoformat()}T08:55", 12000, "card", "4242"),
        ("PAY-3001", "P-1001", "INV-2001", f"{visit}T10:41", 3000, "card", "4242"),
        ("PAY-3002", "P-1001", "INV-2001", f"{visit}T10:42", 3000, "card", "4242"),  # the double
        ("PAY-2991", "P-1003", "INV-1990", f"{(today - timedelta(days=25)).isoformat()}T14:10",
         4500, "card", "1881"),
    ]  # fmt: skip
    conn.executemany("INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?, ?)", payments)
    conn.execute(
        "INSERT INTO refund_requests VALUES ('RR-0001', 'PAY-2950', 'P-1001', ?, "
        "'insurance paid the lab work in full', 'refunded')",
        ((labs + timedelta(days=40)).isoformat(),),
    )
