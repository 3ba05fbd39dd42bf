"""The scheduling specialist: appointment tools over the clinic database and its declaration.
The offline planner that drives the tools when no model is configured is in
`scheduling_planner`.

Tools read the patient and the clock from `ClinicDeps` (in `ToolContext.deps`), accept dates as
"YYYY-MM-DD" or in words, and refuse with a message a patient can act on ("Dr. Patel doesn't
work on Sundays; next free slots: …"): refusals surface as `ClinicError`, which the tool loop
returns to the model as an error result.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from frontdesk import offline
from frontdesk.agents import Specialist
from frontdesk.apps.clinic import db
from frontdesk.apps.clinic.db import ClinicError, Doctor
from frontdesk.apps.clinic.deps import ClinicDeps
from frontdesk.apps.clinic.slots import (
    PARTS_OF_DAY,
    find_appointment_id,
    format_day,
    format_when,
    match_doctor,
    match_specialty,
    parse_date,
    parse_part_of_day,
    parse_start,
)
from frontdesk.knowledge import KnowledgeBase
from frontdesk.models.base import Model
from frontdesk.tools import ToolContext, tool

KNOWLEDGE_FILE = Path(__file__).parent / "knowledge" / "scheduling.md"
LATE_CHANGE_HOURS = 24
LATE_CANCELLATION_FEE = 25.0
MAX_OFFERED_SLOTS = 6
SEARCH_DAYS = 21


@dataclass(kw_only=True, slots=True)
class AppointmentInfo:
    """An appointment as the model sees it; `start` is "YYYY-MM-DDTHH:MM", `when` is for
    people."""

    id: str
    doctor: str
    specialty: str
    location: str
    start: str
    when: str
    duration_minutes: int
    reason: str
    status: str


@dataclass(kw_only=True, slots=True)
class SlotInfo:
    """One free slot that `book_appointment` would accept."""

    doctor: str
    specialty: str
    start: str
    when: str


@dataclass(kw_only=True, slots=True)
class Availability:
    """Free slots found, and a note when the exact request could not be met."""

    doctor: str | None
    date: str | None
    part_of_day: str | None
    slots: list[SlotInfo]
    note: str = ""


@dataclass(kw_only=True, slots=True)
class DoctorInfo:
    """A doctor, where and when they see patients."""

    name: str
    specialty: str
    location: str
    hours: str
    video_visits: bool


@dataclass(kw_only=True, slots=True)
class Change:
    """The outcome of a cancellation or a reschedule, with any late-change fee."""

    action: Literal["cancelled", "rescheduled"]
    appointment: AppointmentInfo
    previous_when: str | None
    late_fee: float
    note: str


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _info(appointment: db.Appointment) -> AppointmentInfo:
    return AppointmentInfo(
        id=appointment.id,
        doctor=appointment.doctor.title,
        specialty=appointment.doctor.specialty,
        location=appointment.doctor.location,
        start=_iso(appointment.start),
        when=format_when(appointment.start),
        duration_minutes=appointment.duration_min,
        reason=appointment.reason,
        status=appointment.status,
    )


def pick_doctors(doctors: list[Doctor], wanted: str | None) -> list[Doctor]:
    """The doctors `wanted` names: one by (misspelt) name, several by specialty, all for None."""
    if wanted is None or not wanted.strip():
        return doctors
    names = [d.name for d in doctors]
    name = match_doctor(wanted, names) or match_doctor(f"dr {wanted}", names)
    if name is not None:
        return [d for d in doctors if d.name == name]
    specialty = match_specialty(wanted)
    if specialty is not None:
        return [d for d in doctors if d.specialty == specialty]
    roster = ", ".join(f"{d.title} ({d.specialty})" for d in doctors)
    raise ClinicError(f"We have no doctor matching {wanted!r}. Our doctors are {roster}.")


def _read_day(text: str | None, today: dt.date) -> dt.date | None:
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        found = parse_date(text, today)
    if found is None:
        example = (today + dt.timedelta(days=1)).isoformat()
        raise ClinicError(f"I couldn't read the date {text!r}; use YYYY-MM-DD, e.g. {example}.")
    return found


def _read_part(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    part = parse_part_of_day(text)
    if part is None:
        raise ClinicError(f"part_of_day must be one of {', '.join(PARTS_OF_DAY)}, not {text!r}.")
    return part


def _read_start(text: str, today: dt.date) -> dt.datetime:
    start = parse_start(text, today)
    if start is None:
        raise ClinicError(
            f"I couldn't read {text!r} as a date and time; use YYYY-MM-DDTHH:MM, e.g. "
            f"{(today + dt.timedelta(days=1)).isoformat()}T10:00."
        )
    return start


def free_slots(
    deps: ClinicDeps,
    doctors: list[Doctor],
    days: list[dt.date],
    part_of_day: str | None = None,
    *,
    per_doctor_day: int = 3,
    limit: int = MAX_OFFERED_SLOTS,
) -> list[SlotInfo]:
    """The earliest free slots of `doctors` on `days`, at most `per_doctor_day` for each doctor
    and day so the offer has some variety."""
    if not days or not doctors:
        return []
    window = PARTS_OF_DAY[part_of_day] if part_of_day else None
    taken = db.booked_starts(deps.db_path, [d.id for d in doctors], min(days), max(days))
    now, last_day = deps.now(), deps.today + dt.timedelta(days=db.BOOKING_WINDOW_DAYS)
    found: list[tuple[dt.datetime, Doctor]] = []
    for day in sorted(days):
        if day > last_day:
            break
        for doctor in doctors:
            starts = [
                s
                for s in doctor.slot_starts(day)
                if s > now
                and (doctor.id, s) not in taken
                and (window is None or window[0] <= s.time() < window[1])
            ]
            found.extend((s, doctor) for s in starts[:per_doctor_day])
    found.sort(key=lambda pair: (pair[0], pair[1].id))
    return [
        SlotInfo(doctor=d.title, specialty=d.specialty, start=_iso(s), when=format_when(s))
        for s, d in found[:limit]
    ]


def _days_from(first: dt.date, count: int = SEARCH_DAYS) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(count)]


def _why_none(deps: ClinicDeps, doctors: list[Doctor], day: dt.date, part: str | None) -> str:
    if day < deps.today:
        return f"{format_day(day)} has already passed."
    if day > deps.today + dt.timedelta(days=db.BOOKING_WINDOW_DAYS):
        return f"We book at most {db.BOOKING_WINDOW_DAYS} days ahead."
    working = [d for d in doctors if d.works_on(day)]
    if len(doctors) == 1 and not working:
        return f"{doctors[0].title} doesn't work on {day:%A}s (hours: {db.hours_text(doctors[0])})."
    if not working:
        return f"None of those doctors work on {day:%A}s."
    who = f" with {doctors[0].title}" if len(doctors) == 1 else ""
    return f"There are no free {part + ' ' if part else ''}slots{who} on {format_day(day)}."


def availability(
    deps: ClinicDeps, doctor: str | None, date: str | None, part_of_day: str | None
) -> Availability:
    """What `find_available_slots` answers (synchronous; it reads the database)."""
    doctors = pick_doctors(db.doctors(deps.db_path), doctor)
    day, part = _read_day(date, deps.today), _read_part(part_of_day)
    note, start = "", deps.today
    if day is not None:
        found = free_slots(deps, doctors, [day], part, per_doctor_day=MAX_OFFERED_SLOTS)
        if found:
            return Availability(doctor=doctor, date=date, part_of_day=part, slots=found)
        note = _why_none(deps, doctors, day, part)
        start = day + dt.timedelta(days=1) if day >= deps.today else deps.today
    found = free_slots(deps, doctors, _days_from(start), part)
    if not found and part is not None:
        found = free_slots(deps, doctors, _days_from(start))
        note += f" No {part} openings in the next {SEARCH_DAYS} days; other times are listed."
    return Availability(doctor=doctor, date=date, part_of_day=part, slots=found, note=note.strip())


def _alternatives(deps: ClinicDeps, doctor: Doctor, near: dt.datetime) -> str:
    first = near.date() if deps.today <= near.date() else deps.today
    found = free_slots(deps, [doctor], _days_from(first), limit=3)
    if not found:
        return f"{doctor.title} has no free slots in the next {SEARCH_DAYS} days."
    return f"Next free slots with {doctor.title}: {'; '.join(s.when for s in found)}."


@tool
async def list_appointments(ctx: ToolContext) -> list[AppointmentInfo]:
    """The signed-in patient's upcoming appointments, soonest first."""
    deps = ClinicDeps.of(ctx)
    found = await asyncio.to_thread(
        db.upcoming_appointments, deps.db_path, deps.patient_id, deps.now()
    )
    return [_info(a) for a in found]


@tool
async def list_doctors(ctx: ToolContext, specialty: str | None = None) -> list[DoctorInfo]:
    """The clinic's doctors with specialty, location and weekly hours, optionally only those of
    one specialty (e.g. "dermatology" or "skin")."""
    deps = ClinicDeps.of(ctx)
    doctors = await asyncio.to_thread(db.doctors, deps.db_path)
    if specialty:
        doctors = pick_doctors(doctors, specialty)
    return [
        DoctorInfo(
            name=f"Dr. {d.name}",
            specialty=d.specialty,
            location=d.location,
            hours=db.hours_text(d),
            video_visits=d.telehealth,
        )
        for d in doctors
    ]


@tool
async def find_available_slots(
    ctx: ToolContext,
    doctor: str | None = None,
    date: str | None = None,
    part_of_day: str | None = None,
) -> Availability:
    """Free appointment slots. Optional filters: a doctor (name like "Dr. Patel", or a specialty
    like "dermatology"), a date ("YYYY-MM-DD", or words like "next Tuesday") and a part of day
    ("morning", "afternoon" or "evening"). When that day has nothing, the note says why and
    the next free slots are listed instead."""
    deps = ClinicDeps.of(ctx)
    return await asyncio.to_thread(availability, deps, doctor, date, part_of_day)


def _book(deps: ClinicDeps, doctor: str, start: str, reason: str) -> AppointmentInfo:
    doctors = pick_doctors(db.doctors(deps.db_path), doctor)
    if len(doctors) != 1:
        names = ", ".join(d.title for d in doctors)
        raise ClinicError(f"{doctor!r} could mean {names}; which doctor would you like?")
    chosen, moment = doctors[0], _read_start(start, deps.today)
    try:
        booked = db.book(
            deps.db_path,
            patient_id=deps.patient_id,
            doctor=chosen,
            start=moment,
            now=deps.now(),
            reason=reason.strip()[:200] or "Office visit",
        )
    except ClinicError as exc:
        raise ClinicError(f"{exc} {_alternatives(deps, chosen, moment)}") from None
    return _info(booked)


@tool
async def book_appointment(
    ctx: ToolContext, doctor: str, start: str, reason: str = "Office visit"
) -> AppointmentInfo:
    """Book a 30-minute visit for the signed-in patient with `doctor` (e.g. "Dr. Patel") at
    `start`, local time "YYYY-MM-DDTHH:MM" on the hour or half hour. Refuses slots that are
    taken, in the past or outside the doctor's hours, and suggests free slots instead."""
    return await asyncio.to_thread(_book, ClinicDeps.of(ctx), doctor, start, reason)


def _late_fee(start: dt.datetime, now: dt.datetime) -> float:
    late = start - now < dt.timedelta(hours=LATE_CHANGE_HOURS)
    return LATE_CANCELLATION_FEE if late else 0.0


def _fee_note(fee: float) -> str:
    if fee:
        return (
            f"This is less than {LATE_CHANGE_HOURS} hours before the visit, so the "
            f"${fee:.2f} late cancellation fee applies."
        )
    return f"No fee: the change was made more than {LATE_CHANGE_HOURS} hours ahead."


def _appointment_id(text: str) -> str:
    return find_appointment_id(text) or text.strip().upper()


def _cancel(deps: ClinicDeps, appointment_id: str) -> Change:
    now = deps.now()
    wanted = _appointment_id(appointment_id)
    before = db.cancel(deps.db_path, patient_id=deps.patient_id, appointment_id=wanted, now=now)
    info = _info(before)
    info.status = "cancelled"
    fee = _late_fee(before.start, now)
    return Change(
        action="cancelled", appointment=info, previous_when=None, late_fee=fee, note=_fee_note(fee)
    )


@tool
async def cancel_appointment(ctx: ToolContext, appointment_id: str) -> Change:
    """Cancel one of the signed-in patient's upcoming appointments by id (e.g. "A-102").
    Cancelling less than 24 hours ahead incurs the late cancellation fee."""
    return await asyncio.to_thread(_cancel, ClinicDeps.of(ctx), appointment_id)


def _reschedule(deps: ClinicDeps, appointment_id: str, new_start: str) -> Change:
    now, moment = deps.now(), _read_start(new_start, deps.today)
    try:
        before, after = db.reschedule(
            deps.db_path,
            patient_id=deps.patient_id,
            appointment_id=_appointment_id(appointment_id),
            new_start=moment,
            now=now,
        )
    except ClinicError as exc:
        current = db.appointment(deps.db_path, _appointment_id(appointment_id))
        if current is None or current.patient_id != deps.patient_id:
            raise
        raise ClinicError(f"{exc} {_alternatives(deps, current.doctor, moment)}") from None
    fee = _late_fee(before.start, now)
    return Change(
        action="rescheduled",
        appointment=_info(after),
        previous_when=format_when(before.start),
        late_fee=fee,
        note=_fee_note(fee),
    )


@tool
async def reschedule_appointment(ctx: ToolContext, appointment_id: str, new_start: str) -> Change:
    """Move one of the signed-in patient's upcoming appointments (e.g. "A-102") to `new_start`
    ("YYYY-MM-DDTHH:MM") with the same doctor. Refuses taken or unavailable slots and suggests
    free ones; moving a visit less than 24 hours ahead incurs the late cancellation fee."""
    return await asyncio.to_thread(_reschedule, ClinicDeps.of(ctx), appointment_id, new_start)


SCHEDULING_TOOLS = (
    list_appointments,
    list_doctors,
    find_available_slots,
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
)

INSTRUCTIONS = """\
You are the scheduling assistant of Riverside Clinic. You help the signed-in patient book,
reschedule and cancel appointments, find open times with our doctors, and answer questions about
scheduling policies.

How to work:
- Use the tools for every fact about appointments, doctors and open times; never invent a time,
  a doctor or an appointment id. Dates and times are local; today's date is in the tool results.
- To book you need a doctor and an exact start time. If either is missing, call
  find_available_slots with what you know and ask the patient to choose; do not pick for them.
- Before cancelling or rescheduling, make sure which appointment is meant (list_appointments);
  if the patient has several and did not say which, ask.
- When a tool refuses (slot taken, doctor not working that day, outside hours), explain why in
  one sentence and offer the alternatives it returned.
- Mention the $25 late cancellation fee when a cancellation or reschedule is less than 24 hours
  before the visit.
- For policy questions (cancellation and no-show fees, video visits, new patients, what to bring,
  referrals, wait times) call search_knowledge and answer only from what it returns.
- You cannot give medical advice. For an emergency tell the patient to call 911.
- Be brief and friendly: confirm the doctor, the date and time, the location and the
  appointment id after every change.
"""

EXAMPLES = (
    "I'd like to book an appointment with Dr. Patel",
    "book me with dr patle tomorrow at 10",
    "Can I see Dr. Nguyen next Tuesday afternoon?",
    "I need an appointment with a dermatologist",
    "schedule a checkup for next week",
    "Is Dr Chen available on Thursday?",
    "when is the next available appointment",
    "any openings this afternoon?",
    "earliest slot with dr okafor for my son",
    "do you have anything friday morning",
    "I want to see a doctor about my knee",
    "make an appointment for 3/14 at 2pm",
    "bok appt tmrw",
    "appointment pls",
    "Book Dr. Kim on March 18 at 9:30",
    "cancel my appointment",
    "Please cancel appointment A-102",
    "I can't make it to my appointment with Dr. Nguyen, cancel it",
    "cancle my appt tomorow",
    "I need to reschedule my appointment",
    "Can I move my appointment to Friday at 2?",
    "reschedule A-103 to next Thursday at 9am",
    "push my dermatology appointment to next week",
    "change my appointment time",
    "reshedule pls",
    "When is my next appointment?",
    "what appointments do I have coming up",
    "do I have an appointment this week?",
    "my appointments",
    "What is the late cancellation fee?",
    "What happens if I miss my appointment?",
    "Is there a no-show fee?",
    "Can I do a video visit instead of coming in?",
    "do you offer telehealth",
    "What should I bring to my first appointment?",
    "I'm a new patient, how do I book?",
    "Do I need a referral to see the cardiologist?",
    "How long is the wait to see a dermatologist?",
    "which doctors do you have",
    "What days does Dr. Garcia work?",
    "Is Dr. Patel in on Saturdays?",
    "I'm running late for my appointment",
    "Can I get a same-day appointment?",
    "How far ahead can I book?",
)


def scheduling_knowledge(*, path: Path = KNOWLEDGE_FILE) -> KnowledgeBase:
    """The scheduling policies knowledge base (`knowledge/scheduling.md`)."""
    return KnowledgeBase.from_markdown("scheduling", path)


def offline_scheduling_model(ctx: ToolContext) -> Model:
    """The deterministic stand-in model for the scheduling specialist (no LLM needed)."""
    # Imported here because the planner imports this module's policy constants.
    from frontdesk.apps.clinic.scheduling_planner import scheduling_planner

    return offline.OfflineModel(scheduling_planner(ClinicDeps.of(ctx)), name="offline-scheduling")


def scheduling_specialist(*, knowledge: KnowledgeBase | None = None) -> Specialist:
    """The scheduling specialist: appointment tools, scheduling policies, offline planner."""
    return Specialist(
        name="scheduling",
        description=(
            "Books, reschedules and cancels appointments, finds open times with the clinic's "
            "doctors, and answers scheduling policy questions (cancellation and no-show fees, "
            "video visits, new patients, what to bring)."
        ),
        instructions=INSTRUCTIONS,
        tools=SCHEDULING_TOOLS,
        knowledge=knowledge if knowledge is not None else scheduling_knowledge(),
        examples=EXAMPLES,
        offline=offline_scheduling_model,
    )
