"""The scheduling specialist's offline planner: the deterministic stand-in for a model.

It reads the intent and slots of the patient's last message, calls the tools a model would call,
then composes the answer from their results. Each step is recomputed from the transcript.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from frontdesk import offline
from frontdesk.apps.clinic import db
from frontdesk.apps.clinic.db import Doctor
from frontdesk.apps.clinic.deps import ClinicDeps
from frontdesk.apps.clinic.scheduling import LATE_CANCELLATION_FEE, LATE_CHANGE_HOURS, SEARCH_DAYS
from frontdesk.apps.clinic.slots import Slots, extract, mentions, parse_date
from frontdesk.messages import Message, ToolReturn
from frontdesk.models.base import ModelResponse, ToolDefinition
from frontdesk.models.testing import ResponseFunction

Intent = Literal["list", "doctors", "availability", "book", "cancel", "reschedule", "policy"]

_ALWAYS_POLICY = (
    "fee",
    "fees",
    "policy",
    "penalty",
    "how much",
    "what happens",
    "what if",
    "charge",
    "cost",
    "is it free",
    "rescheduling free",
    "cancelling free",
)
_POLICY = (
    "no show",
    "no-show",
    "noshow",
    "telehealth",
    "video",
    "virtual",
    "bring",
    "new patient",
    "referral",
    "refer",
    "wait",
    "waiting",
    "how long",
    "how far",
    "in advance",
    "arrive",
    "late",
    "reminder",
    "reminders",
    "interpreter",
    "same-day",
    "same day",
    "urgent",
    "walk-in",
    "walk in",
    "minor",
)
_INTENT_CUES: tuple[tuple[Intent, tuple[str, ...]], ...] = (
    ("reschedule", ("reschedule", "resched", "reshedule", "move", "postpone", "push", "rebook",
                    "change my appointment", "change my appt", "change the appointment",
                    "change appointment", "different time", "different day", "another time",
                    "another day", "switch")),
    ("cancel", ("cancel", "cancle", "cancell", "call off", "can't make it", "cant make it",
                "cannot make it", "won't make it", "wont make it", "not coming")),
    ("list", ("my appointments", "my appts", "upcoming", "coming up", "do i have", "when is my",
              "when's my", "what time is my", "scheduled appointments", "appointments scheduled",
              "what appointments", "appointments do i")),
    ("book", ("book", "bok", "booking", "schedule", "appointment with", "appt with",
              "make an appointment", "need an appointment", "want an appointment",
              "get an appointment", "new appointment", "set up", "see dr", "see doctor",
              "see a", "see the doctor", "get in", "come in", "reserve", "sign me up")),
    ("doctors", ("which doctors", "what doctors", "your doctors", "doctors do you",
                 "list of doctors", "list doctors", "what days", "which days", "work on",
                 "working hours", "hours", "in on")),
    ("availability", ("available", "availability", "availabilty", "opening", "openings",
                      "open slots", "free", "slots", "slot", "earliest", "soonest", "anything",
                      "any time", "when can")),
    ("list", ("my appointment", "my appt", "my next appointment", "booked")),
    ("book", ("appointment", "appt", "appointement")),
)  # fmt: skip


def scheduling_intent(text: str, slots: Slots) -> Intent:
    """What the patient wants; a policy question unless an action or a slot is recognised."""
    concrete = bool(slots.appointment_id or slots.day or slots.at)
    if mentions(text, *_ALWAYS_POLICY) or (mentions(text, *_POLICY) and not concrete):
        return "policy"
    for intent, cues in _INTENT_CUES:
        if mentions(text, *cues):
            return intent
    if slots.day or slots.at or slots.part_of_day or slots.doctor or slots.specialty:
        return "availability"
    return "policy"


@dataclass(kw_only=True, slots=True, frozen=True)
class _Request:
    text: str
    intent: Intent
    slots: Slots
    old_day: dt.date | None  # "move my Tuesday appointment …": which appointment
    new: Slots  # "… to Thursday at 2": the new time
    doctor: str | None  # "Dr. Patel", named or the only doctor of the specialty asked for


def _read(text: str, today: dt.date, doctors: list[Doctor]) -> _Request:
    names = [d.name for d in doctors]
    slots = extract(text, today=today, doctors=names)
    head, to, tail = text.rpartition(" to ")
    new = extract(tail, today=today, doctors=names) if to else slots
    if not (new.day or new.at or new.part_of_day):
        new = slots
    doctor = next((d.title for d in doctors if d.name == slots.doctor), None)
    of_specialty = [d.title for d in doctors if d.specialty == slots.specialty]
    if doctor is None and len(of_specialty) == 1:
        doctor = of_specialty[0]
    return _Request(
        text=text,
        intent=scheduling_intent(text, slots),
        slots=slots,
        old_day=parse_date(head, today) if to else None,
        new=new,
        doctor=doctor,
    )


def _start(day: dt.date, at: dt.time) -> str:
    return f"{day.isoformat()}T{at:%H:%M}"


def _line(a: dict[str, Any]) -> str:
    return f"- {a['id']}: {a['when']} with {a['doctor']} ({a['specialty']}), {a['location']}"


def _offer(result: ToolReturn, lead: str, how: str) -> ModelResponse:
    """An answer offering the slots `find_available_slots` found; `how` shows how to pick one,
    with {doctor}, {day} and {time} filled in from the first slot."""
    if result.is_error:
        return offline.answer(f"{lead} {offline.error_text(result)}")
    found: dict[str, Any] = json.loads(result.content)
    parts = [lead, found["note"]] if found["note"] else [lead]
    slots: list[dict[str, str]] = found["slots"]
    if not slots:
        parts.append(f"I couldn't find open times in the next {SEARCH_DAYS} days; please call "
                     "the front desk at (541) 555-0100.")  # fmt: skip
        return offline.answer("\n\n".join(parts))
    lines = [f"- {s['when']} with {s['doctor']} ({s['specialty']})" for s in slots]
    first = slots[0]
    day = dt.datetime.fromisoformat(first["start"]).strftime("%A")
    example = how.format(doctor=first["doctor"], day=day, time=first["when"].split(" at ")[-1])
    parts += ["Open times:\n" + "\n".join(lines), example]
    return offline.answer("\n\n".join(parts))


def _book_step(req: _Request, results: Sequence[ToolReturn]) -> ModelResponse:
    s = req.slots
    if booked := offline.latest_result(results, "book_appointment"):
        if booked.is_error:
            return offline.answer(f"I couldn't book that: {offline.error_text(booked)}")
        a = json.loads(booked.content)
        return offline.answer(
            f"You're booked: {a['when']} with {a['doctor']} ({a['specialty']}), {a['location']}. "
            f"Your appointment id is {a['id']}. Please arrive 10 minutes early (15 for a first "
            "visit) with your photo ID and insurance card. If you need to cancel, do it at least "
            f"{LATE_CHANGE_HOURS} hours ahead to avoid the ${LATE_CANCELLATION_FEE:.0f} late "
            "cancellation fee."
        )
    if offered := offline.latest_result(results, "find_available_slots"):
        missing = [w for w, ok in (("a doctor", req.doctor), ("a time", s.day and s.at)) if not ok]
        lead = f"To book, I still need {' and '.join(missing)}."
        return _offer(offered, lead, 'Which one would you like? Say, for example, "book '
                      '{doctor} on {day} at {time}".')  # fmt: skip
    if roster := offline.latest_result(results, "list_doctors"):
        return _doctors_answer(req, roster, "Which doctor would you like to see?")
    if s.unknown_doctor:
        return offline.call("list_doctors")
    if req.doctor and s.day and s.at:
        return offline.call("book_appointment", doctor=req.doctor, start=_start(s.day, s.at))
    return offline.call("find_available_slots", **_search_arguments(req.doctor, s))


def _search_arguments(doctor: str | None, slots: Slots) -> dict[str, str]:
    arguments = {"doctor": doctor, "part_of_day": slots.part_of_day}
    arguments["date"] = slots.day.isoformat() if slots.day else None
    return {k: v for k, v in arguments.items() if v}


def _availability_step(req: _Request, results: Sequence[ToolReturn]) -> ModelResponse:
    if offered := offline.latest_result(results, "find_available_slots"):
        return _offer(offered, "Here is what I found.", 'Would you like one of these? Say, for '
                      'example, "book {doctor} on {day} at {time}".')  # fmt: skip
    if req.slots.unknown_doctor:
        return _book_step(req, results)
    return offline.call("find_available_slots", **_search_arguments(req.doctor, req.slots))


def _matching(appointments: list[dict[str, Any]], req: _Request, day: dt.date | None) -> list[Any]:
    if req.slots.appointment_id:
        return [a for a in appointments if a["id"] == req.slots.appointment_id]
    found = appointments
    if req.doctor:
        found = [a for a in found if a["doctor"] == req.doctor]
    elif req.slots.specialty:
        found = [a for a in found if a["specialty"] == req.slots.specialty]
    if day is not None:
        found = [a for a in found if a["start"].startswith(day.isoformat())]
    return found


def _which(appointments: list[dict[str, Any]], verb: str) -> ModelResponse:
    if not appointments:
        return offline.answer(f"You have no upcoming appointments to {verb}.")
    lines = "\n".join(_line(a) for a in appointments)
    return offline.answer(
        f"Which appointment would you like to {verb}? Your upcoming appointments:\n{lines}\n\n"
        f'Tell me the id, for example "{verb} {appointments[0]["id"]}".'
    )


def _cancel_step(req: _Request, results: Sequence[ToolReturn]) -> ModelResponse:
    if done := offline.latest_result(results, "cancel_appointment"):
        if done.is_error:
            return offline.answer(f"I couldn't cancel that: {offline.error_text(done)}")
        change = json.loads(done.content)
        a = change["appointment"]
        return offline.answer(
            f"Appointment {a['id']} on {a['when']} with {a['doctor']} is cancelled. "
            f"{change['note']} Would you like to book another time?"
        )
    if req.slots.appointment_id:
        return offline.call("cancel_appointment", appointment_id=req.slots.appointment_id)
    listing = offline.latest_result(results, "list_appointments")
    if listing is None:
        return offline.call("list_appointments")
    upcoming: list[dict[str, Any]] = json.loads(listing.content)
    found = _matching(upcoming, req, req.slots.day)
    if len(found) == 1:
        return offline.call("cancel_appointment", appointment_id=found[0]["id"])
    return _which(upcoming, "cancel")


def _reschedule_step(req: _Request, results: Sequence[ToolReturn]) -> ModelResponse:
    if done := offline.latest_result(results, "reschedule_appointment"):
        if done.is_error:
            return offline.answer(f"I couldn't move it: {offline.error_text(done)}")
        change = json.loads(done.content)
        a = change["appointment"]
        return offline.answer(
            f"Done: appointment {a['id']} with {a['doctor']} is moved from "
            f"{change['previous_when']} to {a['when']}, {a['location']}. {change['note']}"
        )
    listing = offline.latest_result(results, "list_appointments")
    if listing is None:
        return offline.call("list_appointments")
    upcoming: list[dict[str, Any]] = json.loads(listing.content)
    found = _matching(upcoming, req, req.old_day)
    if len(found) != 1:
        return _which(upcoming, "reschedule")
    target, new = found[0], req.new
    if offered := offline.latest_result(results, "find_available_slots"):
        lead = (
            f"When would you like to move appointment {target['id']} ({target['when']} with "
            f"{target['doctor']})?"
        )
        return _offer(offered, lead, f'Say, for example, "move {target["id"]} to {{day}} at '
                      '{time}".')  # fmt: skip
    if new.day and new.at:
        return offline.call(
            "reschedule_appointment",
            appointment_id=target["id"],
            new_start=_start(new.day, new.at),
        )
    return offline.call("find_available_slots", **_search_arguments(target["doctor"], new))


def _list_step(req: _Request, results: Sequence[ToolReturn]) -> ModelResponse:
    listing = offline.latest_result(results, "list_appointments")
    if listing is None:
        return offline.call("list_appointments")
    upcoming: list[dict[str, Any]] = json.loads(listing.content)
    if not upcoming:
        return offline.answer("You have no upcoming appointments. Would you like to book one?")
    lines = "\n".join(f"{_line(a)} ({a['reason']})" for a in upcoming)
    return offline.answer(f"Your upcoming appointments:\n{lines}")


def _doctors_answer(req: _Request, roster: ToolReturn, question: str = "") -> ModelResponse:
    doctors: list[dict[str, Any]] = json.loads(roster.content)
    last_name = req.doctor.split()[-1] if req.doctor else None
    shown = [d for d in doctors if d["name"].endswith(f" {last_name}")] or doctors
    lines = [
        f"- {d['name']}, {d['specialty']}: {d['hours']}, {d['location']}"
        + (" (video visits available)" if d["video_visits"] else "")
        for d in shown
    ]
    unknown = req.slots.unknown_doctor
    lead = f"We don't have a Dr. {unknown} at Riverside Clinic. " if unknown else ""
    title = "Our doctors" if len(shown) > 1 else "Hours and location"
    return offline.answer(f"{lead}{title}:\n" + "\n".join(lines) + f"\n\n{question}".rstrip())


def _doctors_step(req: _Request, results: Sequence[ToolReturn]) -> ModelResponse:
    if roster := offline.latest_result(results, "list_doctors"):
        return _doctors_answer(req, roster)
    if req.slots.specialty and not req.doctor:
        return offline.call("list_doctors", specialty=req.slots.specialty)
    return offline.call("list_doctors")


def _policy_step(req: _Request, results: Sequence[ToolReturn]) -> ModelResponse:
    found = offline.latest_result(results, "search_knowledge")
    if found is None:
        return offline.call("search_knowledge", query=req.text)
    text = None if found.is_error else offline.knowledge_answer(found, req.text, max_passages=1)
    return offline.answer(
        text
        or "I couldn't find that in our scheduling policies. The front desk can help at "
        "(541) 555-0100."
    )


_STEPS: dict[Intent, Callable[[_Request, Sequence[ToolReturn]], ModelResponse]] = {
    "list": _list_step,
    "doctors": _doctors_step,
    "availability": _availability_step,
    "book": _book_step,
    "cancel": _cancel_step,
    "reschedule": _reschedule_step,
    "policy": _policy_step,
}


def scheduling_planner(deps: ClinicDeps) -> ResponseFunction:
    """The offline planner `(messages, tools) -> ModelResponse` for `deps`' clinic."""
    doctors = db.doctors(deps.db_path)

    def plan(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        request = _read(offline.last_user_text(messages), deps.today, doctors)
        return _STEPS[request.intent](request, offline.tool_results(messages))

    return plan
