"""The billing specialist, run offline through the real tool loop on a real SQLite database
seeded for a fixed day (Wednesday 2026-03-11). The demo patient, Alex Rivera, was charged $30
twice by card for last Wednesday's visit and owes $225 on two open invoices."""

from __future__ import annotations

import sqlite3
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from frontdesk.agents import AgentResult, Specialist, run_specialist
from frontdesk.apps.clinic.billing import (
    PLAN_MIN_BALANCE,
    PLAN_MIN_MONTHLY,
    REFUND_BUSINESS_DAYS,
    add_business_days,
    billing_specialist,
    duplicate_charges,
    payment_plan,
)
from frontdesk.apps.clinic.billing_planner import billing_intent
from frontdesk.apps.clinic.db import ClinicError
from frontdesk.apps.clinic.deps import ClinicDeps
from frontdesk.apps.clinic.slots import extract
from frontdesk.models.testing import ScriptedModel, text_response, tool_call_response
from frontdesk.offline import OFFLINE_NOTE
from frontdesk.tools import ToolContext

TODAY = date(2026, 3, 11)


@pytest.fixture(scope="module")
def spec() -> Specialist:
    # One specialist per module: its knowledge base embeds its documents once.
    return billing_specialist()


@pytest.fixture
def deps(tmp_path: Path) -> ClinicDeps:
    return ClinicDeps.create(tmp_path / "clinic", today=TODAY, time_of_day=time(9, 0))


async def ask(spec: Specialist, deps: ClinicDeps, text: str) -> AgentResult:
    ctx = ToolContext(conversation_id="t", deps=deps)
    assert spec.offline is not None
    return await run_specialist(spec, text, model=spec.offline(ctx), ctx=ctx)


def refund_requests(deps: ClinicDeps) -> list[dict[str, Any]]:
    with sqlite3.connect(deps.db_path) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM refund_requests ORDER BY id")]


def names(result: AgentResult) -> list[str]:
    return [c.name for c in result.tool_calls]


# --- duplicate charges and refunds -----------------------------------------------------------


async def test_charged_twice_finds_the_duplicate(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "I was charged twice for my visit last week")

    assert names(result) == ["find_duplicate_charges", "search_knowledge"]
    assert result.text.startswith(
        "I found a duplicate charge. On Wednesday, March 4, your card ending 4242 was charged "
        "$30.00 twice (PAY-3001, PAY-3002) for invoice INV-2001: Office visit with Dr. Priya "
        "Patel (sore throat and cough). The duplicate is PAY-3002."
    )
    assert 'just say "refund PAY-3002"' in result.text
    assert "We refund the duplicate charge to the original card within 5 business days" in (
        result.text
    )
    assert result.text.endswith(OFFLINE_NOTE)
    assert [r["payment_id"] for r in refund_requests(deps)] == ["PAY-2950"]  # nothing new filed


async def test_charged_twice_with_a_refund_request_files_it(
    spec: Specialist, deps: ClinicDeps
) -> None:
    result = await ask(spec, deps, "i was chraged twice, please refund it")

    assert names(result) == ["find_duplicate_charges", "request_refund", "search_knowledge"]
    assert result.tool_calls[1].arguments == {
        "payment_id": "PAY-3002",
        "reason": "duplicate charge",
    }
    filed = refund_requests(deps)[-1]
    assert (filed["id"], filed["payment_id"], filed["status"]) == ("RR-0002", "PAY-3002", "pending")
    assert filed["requested_on"] == "2026-03-11"
    assert "Refund request RR-0002 for $30.00 is filed" in result.text
    assert "back to the original card by Wednesday, March 18" in result.text


async def test_a_refund_request_is_idempotent(spec: Specialist, deps: ClinicDeps) -> None:
    first = await ask(spec, deps, "refund PAY-3002")
    second = await ask(spec, deps, "please refund payment #3002")

    assert "Refund request RR-0002 for payment PAY-3002 ($30.00) is filed" in first.text
    assert "Refund request RR-0002 for payment PAY-3002 ($30.00) was already filed" in second.text
    assert [r["payment_id"] for r in refund_requests(deps)] == ["PAY-2950", "PAY-3002"]


async def test_asking_about_a_refund_does_not_file_one(spec: Specialist, deps: ClinicDeps) -> None:
    await ask(spec, deps, "I want a refund for the duplicate payment")

    result = await ask(spec, deps, "when will I get my refund?")

    assert names(result) == ["find_duplicate_charges", "search_knowledge"]
    assert "The duplicate is PAY-3002 (refund pending)." in result.text
    assert "I can file the refund now" not in result.text
    assert [r["payment_id"] for r in refund_requests(deps)] == ["PAY-2950", "PAY-3002"]


async def test_another_patients_payment_cannot_be_refunded(
    spec: Specialist, deps: ClinicDeps
) -> None:
    result = await ask(spec, deps, "refund PAY-2991")

    assert result.tool_calls[0].is_error
    assert "I couldn't file the refund: You have no payment PAY-2991." in result.text
    assert len(refund_requests(deps)) == 1


async def test_no_duplicates_for_a_patient_without_them(spec: Specialist, deps: ClinicDeps) -> None:
    other = ClinicDeps(db_path=deps.db_path, patient_id="P-1003", today=TODAY)

    result = await ask(spec, other, "you charged me twice!")

    assert "found no duplicate charges" in result.text
    assert "PAY-3002" not in result.text


def test_duplicates_are_found_only_within_the_window(deps: ClinicDeps) -> None:
    found = duplicate_charges(deps, 90)
    assert [(d.invoice_id, d.amount, d.charged_on) for d in found] == [
        ("INV-2001", 30.0, "2026-03-04")
    ]
    assert (found[0].payment_ids, found[0].duplicate_payment_ids) == (
        ["PAY-3001", "PAY-3002"],
        ["PAY-3002"],
    )
    assert duplicate_charges(deps, 3) == []
    with pytest.raises(ClinicError, match="between 1 and 365"):
        duplicate_charges(deps, 0)


# --- balance, invoices, payment plans --------------------------------------------------------


async def test_balance_lists_the_open_invoices(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "whats my balence")

    assert names(result) == ["get_balance"]
    assert "Your balance is $225.00, from 2 open invoice(s)" in result.text
    assert "- INV-1982 (Monday, February 2): Knee X-ray" in result.text
    assert "your part $160.00, paid $0.00 [open]" in result.text
    assert "a $30.00 credit from an overpayment" in result.text
    assert "over 3 to 12 months with no interest" in result.text


async def test_one_invoice_by_id(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "what is invoice 1982 for?")

    assert result.tool_calls[0].arguments == {"invoice_id": "INV-1982"}
    assert "Knee X-ray, 2 views" in result.text
    assert "INV-1975" not in result.text


async def test_payment_plan_for_the_balance(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "can i pay in installments?")

    assert result.tool_calls[0].arguments == {}
    assert "For $225.00 you can choose a payment plan:" in result.text
    assert "- 3 months: $75.00 a month" in result.text
    assert "- 9 months: $25.00 a month" in result.text
    assert "12 months:" not in result.text  # $18.75 is under the $25 minimum


async def test_payment_plan_for_a_small_amount(spec: Specialist, deps: ClinicDeps) -> None:
    result = await ask(spec, deps, "payment plan for $150")

    assert result.tool_calls[0].arguments == {"amount": 150.0}
    assert result.text.startswith("Payment plans are for balances over $200.00")


def test_payment_plan_terms() -> None:
    terms = payment_plan(1000)
    assert terms.eligible
    assert [(o.months, o.monthly_payment) for o in terms.options] == [
        (3, 333.34),
        (6, 166.67),
        (9, 111.12),
        (12, 83.34),
    ]
    assert terms.interest_rate_percent == 0.0
    assert not payment_plan(PLAN_MIN_BALANCE).eligible
    with pytest.raises(ClinicError, match="positive number of dollars"):
        payment_plan(-5)


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("list_invoices", {"status": "overdue"}, "Invalid arguments for list_invoices"),
        ("list_invoices", {"invoice_id": "INV-9999"}, "You have no invoice INV-9999"),
        ("find_duplicate_charges", {"days": 0}, "days must be between 1 and 365"),
        ("payment_plan_terms", {"amount": "lots"}, "Invalid arguments for payment_plan_terms"),
        ("request_refund", {}, "Invalid arguments for request_refund"),
    ],
)
async def test_tool_arguments_are_validated(
    spec: Specialist, deps: ClinicDeps, tool: str, arguments: dict[str, Any], message: str
) -> None:
    model = ScriptedModel(steps=[tool_call_response(tool, arguments), text_response("sorry")])
    result = await run_specialist(
        spec, "billing", model=model, ctx=ToolContext(conversation_id="t", deps=deps)
    )

    assert result.tool_calls[0].is_error
    assert message in result.tool_calls[0].result
    model.assert_complete()


# --- policies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Do you take Aetna?", "in network with Aetna (PPO and HMO plans)"),
        ("What's my copay for a specialist?", "$50 for a specialist visit"),
        ("How do I get an itemized bill?", "itemized bill at no cost"),
        ("I want to dispute a charge", "within 90 days of the statement date"),
        ("Do you offer financial assistance?", "up to 400 percent of the federal poverty level"),
        ("how much does an office visit cost without insurance", "office visit with a family"),
        ("What happens if I don't pay my bill?", "reminders at 30 and 60 days"),
    ],
)
async def test_policy_questions_are_answered_from_the_knowledge_base(
    spec: Specialist, deps: ClinicDeps, question: str, expected: str
) -> None:
    result = await ask(spec, deps, question)

    assert names(result) == ["search_knowledge"]
    assert expected in result.text
    assert result.text.endswith(OFFLINE_NOTE)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I think I got double charged", "duplicate"),
        ("why are there two charges on my card?", "duplicate"),
        ("refund PAY-3002 please", "refund"),
        ("when will I get my money back", "refund"),
        ("I can't pay it all at once", "plan"),
        ("how much do I owe", "balance"),
        ("show me my invoices", "invoices"),
        ("bill", "invoices"),
        ("did my last payment go through?", "payments"),
        ("Is Blue Cross accepted?", "policy"),
        ("I got a bill for a late cancellation", "policy"),
    ],
)
def test_intents(text: str, intent: str) -> None:
    assert billing_intent(text, extract(text, today=TODAY)) == intent


def test_the_specialist_declaration(spec: Specialist) -> None:
    assert spec.name == "billing"
    assert len(spec.examples) >= 40
    assert len(set(spec.examples)) == len(spec.examples)
    assert {t.name for t in spec.all_tools()} == {
        "get_balance",
        "list_invoices",
        "list_payments",
        "find_duplicate_charges",
        "payment_plan_terms",
        "request_refund",
        "search_knowledge",
    }
    assert spec.knowledge is not None
    assert 10 <= len(spec.knowledge.documents) <= 20


def test_the_knowledge_base_agrees_with_the_policy_numbers(spec: Specialist) -> None:
    assert spec.knowledge is not None
    text = {d.title: d.text for d in spec.knowledge.documents}
    plans = text["Payment plans"]
    assert f"over ${PLAN_MIN_BALANCE:.0f}" in plans
    assert "3 to 12 months" in plans
    assert f"minimum monthly payment is ${PLAN_MIN_MONTHLY:.0f}" in plans
    assert f"within {REFUND_BUSINESS_DAYS} business days" in text["Duplicate charges"]
    assert "$30 for a primary care visit" in text["Copays and coinsurance"]  # the demo copay
    assert "office visit with a family doctor $185" in text["Price estimates and self-pay prices"]


def test_business_days_skip_weekends() -> None:
    assert add_business_days(date(2026, 3, 11), 5) == date(2026, 3, 18)
    assert add_business_days(date(2026, 3, 13), 1) == date(2026, 3, 16)
