"""The scheduling specialist, run offline through the real tool loop on a real SQLite database
seeded for a fixed day (Wednesday 2026-03-11, 9:00 AM)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from frontdesk.agents import AgentResult, Specialist, run_specialist
from frontdesk.apps.clinic import db
from frontdesk.apps.clinic.db import ClinicError
from frontdesk.apps.clinic.deps import ClinicDeps
from frontdesk.apps.clinic.scheduling import (
    LATE_CANCELLATION_FEE,
    book_appointment,
    scheduling_specialist,
)
from frontdesk.apps.clinic.scheduling_planner import scheduling_intent
from frontdesk.apps.clinic.slots import extract
from frontdesk.models.testing import ScriptedModel, text_response, tool_call_response
from frontdesk.offline import OFFLINE_NOTE
from frontdesk.tools import ToolContext

TODAY = date(2026, 3, 11)  # Wednesday; Dr. Patel's 9:00 tomorrow belongs to another patient


@pytest.fixture(scope="module")
def spec() -> Specialist:
    # One specialist per module: its knowledge base embeds its documents once.
    return scheduling_specialist()


@pytest.fixture
def deps(tmp_path: Path) -> ClinicDeps:
    return ClinicDeps.create(tmp_path / "clinic", today=TODAY, time_of_day=time(9, 0))


async def ask(spec: Specialist, deps: ClinicDeps, text: str) -> AgentResult:
    ctx = ToolContext(conversation_id="t", deps=deps)
    assert spec.offline is not None
    return await run_specialist(spec, text, model=spec.offline(ctx), ctx=ctx)


def rows(deps: ClinicDeps, sql: str, *args: object) -> list[dict[str, Any]]:
    with sqlite3.connect(deps.db_path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, args)]


def appointment(deps: ClinicDeps, appointment_id: str) -> dict[str, Any]:
    return rows(deps, "SELECT * FROM appointments WHERE id = ?", appointment_id)[0]


def calls(result: AgentResult) -> list[tuple[str, dict[str, Any]]]:
    return [(c.name, c.arguments) for c in result.tool_calls]


# --- the database ----------------------------------------------------------------------------


def test_demo_data_is_seeded_relative_to_today_and_only_once(deps: ClinicDeps) -> None:
    upcoming = db.upcoming_appointments(deps.db_path, "P-1001", deps.now())
    assert [(a.id, a.doctor.title, a.start) for a in upcoming] == [
        ("A-102", "Dr. Nguyen", datetime(2026, 3, 18, 14, 0)),
        ("A-103", "Dr. Chen", datetime(2026, 3, 26, 9, 0)),
    ]
    again = ClinicDeps.create(deps.db_path.parent, today=date(2026, 4, 1))
    assert again.db_path == deps.db_path
    assert rows(deps, "SELECT COUNT(*) AS n FROM doctors")[0]["n"] == 6
    assert rows(deps, "SELECT COUNT(*) AS n FROM patients")[0]["n"] == 3
    assert rows(deps, "SELECT COUNT(*) AS n FROM appointments")[0]["n"] == 10
    assert rows(deps, "PRAGMA journal_mode")[0]["journal_mode"] == "wal"


def test_the_database_itself_refuses_a_double_booking(deps: ClinicDeps) -> None:
    with pytest.raises(sqlite3.IntegrityError), sqlite3.connect(deps.db_path) as conn:
        conn.execute(
            "INSERT INTO appointments (id, patient_id, doctor_id, start, status) "
            "VALUES ('A-999', 'P-1001', 'D-01', '2026-03-12T09:00', 'scheduled')"
        )


async def test_concurrent_bookings_of_one_slot_let_exactly_one_through(deps: ClinicDeps) -> None:
    patients = ["P-1001", "P-1002", "P-1003"]
    contexts = [
        ToolContext(
            conversation_id=p,
            deps=ClinicDeps(db_path=deps.db_path, patient_id=p, today=TODAY, time_of_day=time(9)),
        )
        for p in patients
    ]
    arguments = {"doctor": "Dr. Garcia", "start": "2026-03-12T13:00"}
    outcomes = await asyncio.gather(
        *(book_appointment.call(ctx, arguments) for ctx in contexts), return_exceptions=True
    )
    booked = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, ClinicError)]
    assert len(booked) == 1
    assert len(refused) == 2
    assert "Dr. Garcia is already booked on Thursday, March 12 at 1:00 PM" in str(refused[0])
    taken = rows(deps, "SELECT * FROM appointments WHERE doctor_id = 'D-05' AND start = ?",
                 "2026-03-12T13:00")  # fmt: skip
    assert len(taken) == 1


# --- booking ---------------------------------------------------------------------------------


async def test_booking_with_a_misspelt_doctor_books_the_slot(
    spec: Specialist, deps: ClinicDeps
) -> None:
    result = await ask(spec, deps, "book me with Dr Patle tomorrow at 10")

    assert calls(result) == [
        ("book_appointment", {"doctor": "Dr. Patel", "start": "2026-03-12T10:00"})
    ]
    booked = appointment(deps, "A-111")
    assert (booked["patient_id"], booked["doctor_id"]) == ("P-1001", "D-01")
    assert (booked["start"], booked["status"]) == ("2026-03-12T10:00", "scheduled")
    assert "You're booked: Thursday, March 12 at 10:00 AM with Dr. Patel" in result.text
    assert "appointment id is A-111" in result.text
    assert result.text.endswith(OFFLINE_NOTE)
    assert result.model == "offline:offline-scheduling"


async def test_a_taken_slot_is_refused_with_alternatives(
    spec: Specialist, deps: ClinicDeps
) -> None:
    result = await ask(spec, deps, "book Dr. Patel tomorrow at 9am")

    assert result.tool_calls[0].is_error
    assert "Dr. Patel is already booked on Thursday, March 12 at 9:00 AM." in result.text
    assert "Next free slots with Dr. Patel: Thursday, March 12 at 9:30 AM;" in result.text
    slot = rows(deps, "SELECT patient_id FROM appointments WHERE doctor_id = 'D-01' AND "
                "start = '2026-03-12T09:00' AND status = 'scheduled'")  # fmt: skip
    assert slot == [{"patient_id": "P-1002"}]


async def test_a_cancelled_slot_can_be_booked_again(spec: Specialist, deps: ClinicDeps) -> None:
    assert appointment(deps, "A-106")["status"] == "cancelled"  # Dr. Patel, tomorrow 3 PM

    result = await ask(spec, deps, "can you book dr patel tomorrow at 3pm")

    assert appointment(deps, "A-111")["start"] == "2026-03-12T15:00"
    assert "Thursday, March 12 at 3:00 PM with Dr. Patel" in result.text


async def test_a_booking_on_a_day_off_says_so(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "book Dr Patel on Sunday at 10")

    assert calls(result) == [
        ("book_appointment", {"doctor": "Dr. Patel", "start": "2026-03-15T10:00"})
    ]
    assert "Dr. Patel doesn't work on Sundays (hours: Monday to Friday, 9:00 AM–5:00 PM)." in (
        result.text
    )
    assert "Next free slots with Dr. Patel: Monday, March 16 at 9:00 AM" in result.text
    assert rows(deps, "SELECT COUNT(*) AS n FROM appointments")[0]["n"] == 10


async def test_a_booking_without_a_doctor_asks_for_one(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "I'd like to book an appointment tomorrow morning")

    assert calls(result) == [
        ("find_available_slots", {"date": "2026-03-12", "part_of_day": "morning"})
    ]
    assert "To book, I still need a doctor and a time." in result.text
    assert "- Thursday, March 12 at 8:00 AM with Dr. Chen (Cardiology)" in result.text
    assert "Which one would you like?" in result.text
    assert rows(deps, "SELECT COUNT(*) AS n FROM appointments")[0]["n"] == 10


async def test_a_booking_without_a_time_offers_the_doctors_slots(
    spec: Specialist, deps: ClinicDeps
) -> None:
    result = await ask(spec, deps, "book an appt with dr nguyen")

    assert calls(result) == [("find_available_slots", {"doctor": "Dr. Nguyen"})]
    assert "To book, I still need a time." in result.text
    assert "- Friday, March 13 at 10:00 AM with Dr. Nguyen (Dermatology)" in result.text
    assert '"book Dr. Nguyen on Wednesday at 10:00 AM"' in result.text  # today's first free slot
    assert rows(deps, "SELECT COUNT(*) AS n FROM appointments")[0]["n"] == 10


async def test_a_specialty_stands_for_its_doctor(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "I need to see a dermatologist on friday afternoon")

    assert calls(result) == [
        (
            "find_available_slots",
            {"doctor": "Dr. Nguyen", "date": "2026-03-13", "part_of_day": "afternoon"},
        )
    ]
    assert "Friday, March 13 at 12:00 PM with Dr. Nguyen" in result.text


async def test_an_unknown_doctor_is_named_and_the_roster_offered(
    spec: Specialist, deps: ClinicDeps
) -> None:
    result = await ask(spec, deps, "book with dr smith tomorrow at 10")

    assert calls(result) == [("list_doctors", {})]
    assert result.text.startswith("We don't have a Dr. Smith at Riverside Clinic.")
    assert "Dr. Priya Patel, Family Medicine: Monday to Friday, 9:00 AM–5:00 PM" in result.text
    assert "Which doctor would you like to see?" in result.text


async def test_availability_on_a_day_off_lists_the_next_slots(
    spec: Specialist, deps: ClinicDeps
) -> None:
    result = await ask(spec, deps, "Is Dr. Patel available on Sunday?")

    found = json.loads(result.tool_calls[0].result)
    assert found["note"] == (
        "Dr. Patel doesn't work on Sundays (hours: Monday to Friday, 9:00 AM–5:00 PM)."
    )
    assert found["slots"][0]["start"] == "2026-03-16T09:00"
    assert "- Monday, March 16 at 9:00 AM with Dr. Patel" in result.text


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"doctor": "Dr. Patel", "start": "2026-03-11T08:30"}, "has already passed"),
        ({"doctor": "Dr. Patel", "start": "2026-03-12T17:00"}, "outside Dr. Patel's hours"),
        ({"doctor": "Dr. Patel", "start": "2026-03-12T10:15"}, "on the hour or half hour"),
        ({"doctor": "Dr. Patel", "start": "2026-07-01T10:00"}, "at most 90 days ahead"),
        ({"doctor": "Dr. Smith", "start": "2026-03-12T10:00"}, "no doctor matching 'Dr. Smith'"),
        ({"doctor": "Dr. Patel", "start": "soonish"}, "use YYYY-MM-DDTHH:MM"),
        ({"doctor": "Dr. Patel"}, "Invalid arguments for book_appointment"),
        ({"doctor": 5, "start": "2026-03-12T10:00"}, "Invalid arguments for book_appointment"),
    ],
)
async def test_tool_arguments_are_validated(
    spec: Specialist, deps: ClinicDeps, arguments: dict[str, Any], message: str
) -> None:
    model = ScriptedModel(
        steps=[tool_call_response("book_appointment", arguments), text_response("sorry")]
    )
    result = await run_specialist(
        spec, "book", model=model, ctx=ToolContext(conversation_id="t", deps=deps)
    )

    assert result.tool_calls[0].is_error
    assert message in result.tool_calls[0].result
    assert rows(deps, "SELECT COUNT(*) AS n FROM appointments")[0]["n"] == 10
    model.assert_complete()


async def test_a_start_in_words_is_accepted(deps: ClinicDeps) -> None:
    ctx = ToolContext(conversation_id="t", deps=deps)
    booked = await book_appointment.call(ctx, {"doctor": "kim", "start": "next tuesday at 2pm"})
    assert (booked.id, booked.doctor, booked.start) == ("A-111", "Dr. Kim", "2026-03-17T14:00")


async def test_tools_need_clinic_deps() -> None:
    with pytest.raises(TypeError, match="ClinicDeps"):
        await book_appointment.call(
            ToolContext(conversation_id="t"), {"doctor": "Dr. Patel", "start": "tomorrow at 10"}
        )


# --- cancelling and rescheduling ---------------------------------------------------------------


async def test_cancel_by_id(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "Please cancel appointment A-102")

    assert calls(result) == [("cancel_appointment", {"appointment_id": "A-102"})]
    assert appointment(deps, "A-102")["status"] == "cancelled"
    assert "Appointment A-102 on Wednesday, March 18 at 2:00 PM with Dr. Nguyen is cancelled." in (
        result.text
    )
    assert "No fee" in result.text


async def test_cancel_without_an_id_asks_which(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "cancel my appointment")

    assert calls(result) == [("list_appointments", {})]
    assert "Which appointment would you like to cancel?" in result.text
    assert "- A-102: Wednesday, March 18 at 2:00 PM with Dr. Nguyen" in result.text
    assert "- A-103: Thursday, March 26 at 9:00 AM with Dr. Chen" in result.text
    assert {appointment(deps, i)["status"] for i in ("A-102", "A-103")} == {"scheduled"}


async def test_cancel_by_doctor_with_a_typo(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "i cant make it to my appt with dr nguyn, pls cancle")

    assert [name for name, _ in calls(result)] == ["list_appointments", "cancel_appointment"]
    assert appointment(deps, "A-102")["status"] == "cancelled"
    assert appointment(deps, "A-103")["status"] == "scheduled"


async def test_a_late_cancellation_costs_the_fee(spec: Specialist, deps: ClinicDeps) -> None:
    await ask(spec, deps, "book me with Dr Patel tomorrow at 10")  # 25 hours ahead → A-111
    late = ClinicDeps(db_path=deps.db_path, today=TODAY, time_of_day=time(10, 30))

    result = await ask(spec, late, "cancel A-111")

    change = json.loads(result.tool_calls[0].result)
    assert change["late_fee"] == LATE_CANCELLATION_FEE
    assert "the $25.00 late cancellation fee applies" in result.text
    assert appointment(deps, "A-111")["status"] == "cancelled"


async def test_another_patients_appointment_cannot_be_cancelled(
    spec: Specialist, deps: ClinicDeps
) -> None:
    result = await ask(spec, deps, "cancel appointment A-107")

    assert result.tool_calls[0].is_error
    assert "I couldn't cancel that: You have no appointment A-107." in result.text
    assert appointment(deps, "A-107")["status"] == "scheduled"


async def test_reschedule_moves_the_visit(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "move my appointment with dr chen to next thursday at 2pm")

    assert calls(result)[-1] == (
        "reschedule_appointment",
        {"appointment_id": "A-103", "new_start": "2026-03-19T14:00"},
    )
    assert appointment(deps, "A-103")["start"] == "2026-03-19T14:00"
    assert (
        "moved from Thursday, March 26 at 9:00 AM to Thursday, March 19 at 2:00 PM" in result.text
    )


async def test_reschedule_into_a_taken_slot_is_refused(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "reschedule A-103 to tomorrow at 10am")  # A-109 holds it

    assert result.tool_calls[-1].is_error
    assert "Dr. Chen is already booked on Thursday, March 12 at 10:00 AM." in result.text
    assert "Next free slots with Dr. Chen:" in result.text
    assert appointment(deps, "A-103")["start"] == "2026-03-26T09:00"


async def test_reschedule_without_a_time_offers_slots(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "I need to reschedule A-103")

    assert calls(result) == [
        ("list_appointments", {}),
        ("find_available_slots", {"doctor": "Dr. Chen"}),
    ]
    assert "When would you like to move appointment A-103" in result.text
    assert "- Thursday, March 12 at 8:00 AM with Dr. Chen (Cardiology)" in result.text
    assert appointment(deps, "A-103")["start"] == "2026-03-26T09:00"


# --- listing and policies --------------------------------------------------------------------


async def test_list_appointments(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "When is my next appointment?")

    assert calls(result) == [("list_appointments", {})]
    assert result.text.index("A-102: Wednesday, March 18") < result.text.index("A-103")
    assert "A-107" not in result.text  # another patient's


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is the late cancellation fee?", "a $25 late cancellation fee is added"),
        ("Is there a no-show fee?", "A no-show fee of $40"),
        ("Can I do a video visit instead of coming in?", "Video visits are available with"),
        ("What should I bring to my first appointment?", "Bring a photo ID"),
        ("How far ahead can I book?", "up to 90 days ahead"),
    ],
)
async def test_policy_questions_are_answered_from_the_knowledge_base(
    spec: Specialist, deps: ClinicDeps, question: str, expected: str
) -> None:
    result = await ask(spec, deps, question)

    assert calls(result) == [("search_knowledge", {"query": question})]
    assert expected in result.text
    assert result.text.endswith(OFFLINE_NOTE)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("book me with Dr Patle tomorrow at 10", "book"),
        ("bok appt tmrw", "book"),
        ("appointment pls", "book"),
        ("Is Dr Chen available on Thursday?", "availability"),
        ("anything friday morning?", "availability"),
        ("cancle my appt tomorow", "cancel"),
        ("reshedule pls", "reschedule"),
        ("push my dermatology appointment to next week", "reschedule"),
        ("what appointments do I have coming up", "list"),
        ("what are my scheduled appointments", "list"),
        ("which doctors do you have", "doctors"),
        ("What is the fee if I cancel tomorrow?", "policy"),
        ("do you offer telehealth", "policy"),
        ("I'm running late", "policy"),
    ],
)
def test_intents(text: str, intent: str) -> None:
    assert scheduling_intent(text, extract(text, today=TODAY, doctors=["Priya Patel"])) == intent


def test_the_specialist_declaration(spec: Specialist) -> None:
    assert spec.name == "scheduling"
    assert len(spec.examples) >= 40
    assert len(set(spec.examples)) == len(spec.examples)
    assert {t.name for t in spec.all_tools()} == {
        "list_appointments",
        "list_doctors",
        "find_available_slots",
        "book_appointment",
        "cancel_appointment",
        "reschedule_appointment",
        "search_knowledge",
    }
    assert spec.knowledge is not None
    assert 10 <= len(spec.knowledge.documents) <= 20
    assert all(t.description for t in spec.tools)


def test_the_knowledge_base_agrees_with_the_records(spec: Specialist, deps: ClinicDeps) -> None:
    assert spec.knowledge is not None
    text = {d.title: d.text for d in spec.knowledge.documents}
    assert "$25 late cancellation fee" in text["Cancellation policy and late cancellation fee"]
    assert f"up to {db.BOOKING_WINDOW_DAYS} days ahead" in text["How far ahead you can book"]
    roster = text["Our doctors and their hours"]
    for doctor in db.doctors(deps.db_path):
        assert f"{doctor.name}, MD, {doctor.specialty}" in roster
        assert ("video visits available" if doctor.telehealth else "in-person only") in roster
