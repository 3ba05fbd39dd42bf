"""Slot extraction from patients' own words: dates, times, doctors, ids, amounts (with typos)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from frontdesk.apps.clinic.slots import (
    extract,
    find_appointment_id,
    find_invoice_id,
    find_payment_id,
    format_money,
    format_when,
    match_doctor,
    match_specialty,
    mentions,
    month_number,
    parse_amount,
    parse_date,
    parse_part_of_day,
    parse_start,
    parse_time,
    weekday_number,
)

TODAY = date(2026, 3, 11)  # a Wednesday
DOCTORS = [
    "Priya Patel",
    "Marcus Chen",
    "Lena Nguyen",
    "Samuel Okafor",
    "Elena Garcia",
    "Hannah Kim",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow", date(2026, 3, 12)),
        ("book me tmrw please", date(2026, 3, 12)),
        ("tomorow at 10", date(2026, 3, 12)),
        ("tommorow", date(2026, 3, 12)),
        ("2morrow", date(2026, 3, 12)),
        ("Tomorrow morning", date(2026, 3, 12)),
        ("the day after tomorrow", date(2026, 3, 13)),
        ("today", TODAY),
        ("this afternoon", TODAY),
        ("tonight", TODAY),
        ("on Friday", date(2026, 3, 13)),
        ("this friday", date(2026, 3, 13)),
        ("next Friday", date(2026, 3, 20)),
        ("next Tuesday", date(2026, 3, 17)),
        ("next monday", date(2026, 3, 16)),
        ("Wednesday", date(2026, 3, 18)),  # the same weekday as today means next week's
        ("wensday afternoon", date(2026, 3, 18)),
        ("thrusday", date(2026, 3, 12)),
        ("tues", date(2026, 3, 17)),
        ("on Saturdays", date(2026, 3, 14)),
        ("March 20", date(2026, 3, 20)),
        ("March 3", date(2027, 3, 3)),  # already passed this year
        ("Marhc 20th", date(2026, 3, 20)),
        ("mar 3, 2027", date(2027, 3, 3)),
        ("20 March", date(2026, 3, 20)),
        ("the 20th of march", date(2026, 3, 20)),
        ("Febuary 2", date(2027, 2, 2)),
        ("3/14", date(2026, 3, 14)),
        ("on 3/14/27", date(2027, 3, 14)),
        ("2/1", date(2027, 2, 1)),
        ("2026-12-01", date(2026, 12, 1)),
        ("in two weeks", date(2026, 3, 25)),
        ("in 2 weeks", date(2026, 3, 25)),
        ("in 3 days", date(2026, 3, 14)),
        ("in a week", date(2026, 3, 18)),
        ("in a couple of days", date(2026, 3, 13)),
        ("in a month", date(2026, 4, 11)),
        ("sometime next week", date(2026, 3, 16)),
        ("next month", date(2026, 4, 1)),
        ("the 20th", date(2026, 3, 20)),
        ("on the 5th", date(2026, 4, 5)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    ["I have a question", "2026-02-30", "13/45", "book for 2 people", "at 3pm", "then when"],
)
def test_no_date(text: str) -> None:
    assert parse_date(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at 3pm", time(15, 0)),
        ("3 PM", time(15, 0)),
        ("at 3", time(15, 0)),  # no 3 AM visits
        ("at 10", time(10, 0)),
        ("10:30", time(10, 30)),
        ("10.30am", time(10, 30)),
        ("2:30 p.m.", time(14, 30)),
        ("9am", time(9, 0)),
        ("15:45", time(15, 45)),
        ("12pm", time(12, 0)),
        ("around 11 o'clock", time(11, 0)),
        ("at noon", time(12, 0)),
        ("tomorrow @ 4", time(16, 0)),
    ],
)
def test_times(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text", ["3/14", "in 2 weeks", "2026-12-01", "at 99", "for 30 minutes", "tomorrow morning"]
)
def test_no_time(text: str) -> None:
    assert parse_time(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("friday morning", "morning"),
        ("in the afternoon", "afternoon"),
        ("afternon", "afternoon"),
        ("mornin", "morning"),
        ("this evening", "evening"),
        ("tonight", "evening"),
        ("first thing", "morning"),
        ("after work", "evening"),
        ("at 3pm", None),
    ],
)
def test_parts_of_day(text: str, expected: str | None) -> None:
    assert parse_part_of_day(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("book me with Dr Patle tomorrow", "Priya Patel"),
        ("dr. patel", "Priya Patel"),
        ("Dr.Patel", "Priya Patel"),
        ("can I see patel", "Priya Patel"),
        ("Dr. Priya Patel", "Priya Patel"),
        ("Dr Nguyn", "Lena Nguyen"),
        ("nugyen on friday", "Lena Nguyen"),
        ("doctor okafor", "Samuel Okafor"),
        ("dr garica", "Elena Garcia"),
        ("with Kim", "Hannah Kim"),
        ("Dr. Chen", "Marcus Chen"),
        ("then when is it", None),  # "then" is one letter from "Chen": not a doctor
        ("dr smith", None),
        ("I need an appointment", None),
    ],
)
def test_doctors(text: str, expected: str | None) -> None:
    assert match_doctor(text, DOCTORS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I need a skin doctor", "Dermatology"),
        ("see a dermatologist", "Dermatology"),
        ("something for my knee", "Orthopedics"),
        ("a heart specialist", "Cardiology"),
        ("my daughter has a fever", "Pediatrics"),
        ("gynecologist", "Women's Health"),
        ("annual checkup", "Family Medicine"),
        ("heartburn", None),
        ("book Dr. Patel", None),
    ],
)
def test_specialties(text: str, expected: str | None) -> None:
    assert match_specialty(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cancel appointment A-123", "A-123"),
        ("cancel a102", "A-102"),
        ("appointment #456", "A-456"),
        ("appt 789 please", "A-789"),
        ("a 30 minute visit", None),
        ("my appointment tomorrow", None),
    ],
)
def test_appointment_ids(text: str, expected: str | None) -> None:
    assert find_appointment_id(text) == expected


@pytest.mark.parametrize(
    ("text", "invoice", "payment"),
    [
        ("what is INV-2001", "INV-2001", None),
        ("invoice 2001", "INV-2001", None),
        ("inv2001", "INV-2001", None),
        ("invoice #1982", "INV-1982", None),
        ("refund PAY-3002", None, "PAY-3002"),
        ("payment #3002", None, "PAY-3002"),
        ("can I pay 300 a month", None, None),
    ],
)
def test_invoice_and_payment_ids(text: str, invoice: str | None, payment: str | None) -> None:
    assert find_invoice_id(text) == invoice
    assert find_payment_id(text) == payment


@pytest.mark.parametrize(
    ("text", "expected"),
    [("$450", 450.0), ("$ 1,200.50 please", 1200.5), ("300 dollars", 300.0), ("a plan", None)],
)
def test_amounts(text: str, expected: float | None) -> None:
    assert parse_amount(text) == expected


def test_extract_keeps_ids_and_amounts_out_of_dates_and_times() -> None:
    slots = extract("cancel A-123 tomorrow at 3pm", today=TODAY, doctors=DOCTORS)
    assert slots.appointment_id == "A-123"
    assert slots.day == date(2026, 3, 12)
    assert slots.at == time(15, 0)

    plan = extract("payment plan for $450 over 6 months", today=TODAY)
    assert plan.amount == 450.0
    assert (plan.day, plan.at) == (None, None)


def test_extract_a_full_booking_request() -> None:
    slots = extract("book me with Dr Patle next tuesday at 10:30", today=TODAY, doctors=DOCTORS)
    assert slots.doctor == "Priya Patel"
    assert slots.day == date(2026, 3, 17)
    assert slots.at == time(10, 30)
    assert slots.unknown_doctor is None


def test_extract_names_an_unknown_doctor() -> None:
    slots = extract("can I see Dr. Smith friday", today=TODAY, doctors=DOCTORS)
    assert slots.doctor is None
    assert slots.unknown_doctor == "Smith"


def test_parse_start_accepts_iso_and_words() -> None:
    assert parse_start("2026-03-12T10:00", TODAY) == datetime(2026, 3, 12, 10, 0)
    assert parse_start("tomorrow at 10", TODAY) == datetime(2026, 3, 12, 10, 0)
    assert parse_start("next tuesday 2:30pm", TODAY) == datetime(2026, 3, 17, 14, 30)
    assert parse_start("tomorrow", TODAY) is None
    assert parse_start("soonish", TODAY) is None


def test_mentions_forgives_typos_in_longer_words_only() -> None:
    assert mentions("pls cancle my appt", "cancel")
    assert mentions("I need to reshedule", "reschedule")
    assert mentions("charged twice", "charged twice")
    assert not mentions("I want to book", "look")  # short words must match exactly
    assert not mentions("cancellation policy", "cancel")


def test_weekday_and_month_names() -> None:
    assert weekday_number("Thursday") == 3
    assert weekday_number("thur") == 3
    assert weekday_number("today") is None
    assert weekday_number("money") is None
    assert month_number("sept") == 9
    assert month_number("Decembr") == 12
    assert month_number("then") is None


def test_formatters() -> None:
    assert format_when(datetime(2026, 3, 12, 9, 30)) == "Thursday, March 12 at 9:30 AM"
    assert format_when(datetime(2026, 3, 12, 14, 0)) == "Thursday, March 12 at 2:00 PM"
    assert format_money(1450) == "$1,450.00"
    assert format_money(-120) == "-$120.00"
