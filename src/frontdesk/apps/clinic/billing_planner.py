"""The billing specialist's offline planner: the deterministic stand-in for a model.

It reads the intent and slots of the patient's last message, calls the tools a model would call,
then composes the answer from their results. Each step is recomputed from the transcript.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any, Literal

from frontdesk import offline
from frontdesk.apps.clinic.billing import DUPLICATE_WINDOW_DAYS, PLAN_MIN_BALANCE
from frontdesk.apps.clinic.deps import ClinicDeps
from frontdesk.apps.clinic.slots import Slots, extract, format_day, format_money, mentions
from frontdesk.messages import Message, ToolReturn
from frontdesk.models.base import ModelResponse, ToolDefinition
from frontdesk.models.testing import ResponseFunction

BillingIntent = Literal["duplicate", "refund", "plan", "balance", "invoices", "payments", "policy"]

_POLICY_FIRST = (
    "insurance",
    "insurer",
    "accept",
    "take aetna",
    "copay",
    "co-pay",
    "coinsurance",
    "deductible",
    "itemized",
    "itemised",
    "dispute",
    "assistance",
    "charity",
    "estimate",
    "how much does",
    "cost of",
    "price",
    "prices",
    "self-pay",
    "uninsured",
    "hsa",
    "fsa",
    "ways to pay",
    "pay with",
    "collections",
    "denied",
    "eob",
    "don't pay",
    "dont pay",
    "no show",
    "no-show",
    "late cancellation",
    "aetna",
    "medicare",
    "medicaid",
    "cigna",
    "blue cross",
    "united",
)
_BILLING_CUES: tuple[tuple[BillingIntent, tuple[str, ...]], ...] = (
    ("duplicate", ("charged twice", "charged me twice", "double charged", "double-charged",
                   "double charge", "duplicate", "duplicated", "charged two times", "billed twice",
                   "billed me twice", "two charges", "2 charges", "charged 2 times", "twice",
                   "charged double", "same charge")),
    ("refund", ("refund", "refunded", "money back", "reimburse")),
    ("plan", ("payment plan", "installment", "installments", "instalments", "pay over time",
              "monthly payments", "pay monthly", "all at once", "spread", "in parts")),
    ("balance", ("balance", "balence", "owe", "how much do i", "amount due", "outstanding",
                 "what do i owe", "due")),
    ("payments", ("my payments", "payment history", "last payment", "go through", "went through",
                  "list my payments")),
    ("invoices", ("invoice", "invoices", "bill", "bills", "statement", "statements", "charges",
                  "receipt", "unpaid")),
)  # fmt: skip


def billing_intent(text: str, slots: Slots) -> BillingIntent:
    """What the patient wants; duplicates and refunds first, then questions for the knowledge
    base, then account lookups."""
    for intent, cues in _BILLING_CUES[:3]:
        if mentions(text, *cues) or (intent == "refund" and slots.payment_id):
            return intent
    if mentions(text, *_POLICY_FIRST):
        return "policy"
    for intent, cues in _BILLING_CUES[3:]:
        if mentions(text, *cues) or (intent == "invoices" and slots.invoice_id):
            return intent
    return "policy"


def _day(iso: str) -> str:
    return format_day(dt.date.fromisoformat(iso[:10]))


def _invoice_line(i: dict[str, Any]) -> str:
    return (
        f"- {i['id']} ({_day(i['service_date'])}): {i['description']}. Charges "
        f"{format_money(i['charges'])}, insurance {format_money(-i['insurance_adjustment'])}, "
        f"your part {format_money(i['patient_responsibility'])}, paid {format_money(i['paid'])} "
        f"[{i['status']}]"
    )


def _policy(results: Sequence[ToolReturn], query: str) -> str | None:
    found = offline.latest_result(results, "search_knowledge")
    if found is None or found.is_error:
        return None
    return offline.knowledge_answer(found, query, max_passages=1)


_DUPLICATE_QUERY = "charged twice duplicate charge refund to the original card business days"


def _duplicate_step(
    text: str, slots: Slots, results: Sequence[ToolReturn], wants_refund: bool
) -> ModelResponse:
    found = offline.latest_result(results, "find_duplicate_charges")
    if found is None:
        return offline.call("find_duplicate_charges")
    if found.is_error:
        return offline.answer(f"I couldn't check your payments: {offline.error_text(found)}")
    duplicates: list[dict[str, Any]] = json.loads(found.content)
    extra = [
        p
        for d in duplicates
        if d["refund_status"] == "not requested"
        for p in d["duplicate_payment_ids"]
    ]
    refund = offline.latest_result(results, "request_refund")
    if wants_refund and len(extra) == 1 and refund is None:
        return offline.call("request_refund", payment_id=extra[0], reason="duplicate charge")
    if offline.latest_result(results, "search_knowledge") is None:
        return offline.call("search_knowledge", query=_DUPLICATE_QUERY)
    policy = _policy(results, _DUPLICATE_QUERY) or ""
    if not duplicates:
        return offline.answer(
            f"I checked your payments from the last {DUPLICATE_WINDOW_DAYS} days and found no "
            "duplicate charges. If your bank shows two charges, one may be a pending "
            f"authorization that drops off on its own.\n\n{policy}"
        )
    parts = ["I found a duplicate charge. " + " ".join(_duplicate_line(d) for d in duplicates)]
    if refund is not None and not refund.is_error:
        r = json.loads(refund.content)
        verb = "was already filed" if r["already_requested"] else "is filed"
        parts.append(
            f"Refund request {r['id']} for {format_money(r['amount'])} {verb}; the money goes "
            f"back to the original card by {_day(r['expected_by'])}."
        )
    elif refund is not None:
        parts.append(f"I couldn't file the refund: {offline.error_text(refund)}")
    elif extra:
        parts.append(f'I can file the refund now: just say "refund {extra[0]}".')
    return offline.answer("\n\n".join([*parts, policy]))


def _duplicate_line(d: dict[str, Any]) -> str:
    card = f"your card ending {d['card_last4']}" if d["card_last4"] else "you"
    times = "twice" if len(d["payment_ids"]) == 2 else f"{len(d['payment_ids'])} times"
    status = "" if d["refund_status"] == "not requested" else f" (refund {d['refund_status']})"
    return (
        f"On {_day(d['charged_on'])}, {card} was charged {format_money(d['amount'])} {times} "
        f"({', '.join(d['payment_ids'])}) for invoice {d['invoice_id']}: {d['description']}. "
        f"The duplicate is {' and '.join(d['duplicate_payment_ids'])}{status}."
    )


_ASKS_FOR_REFUND = ("refund it", "refund me", "refund the", "refund that", "refund my",
                    "please refund", "want a refund", "need a refund", "like a refund",
                    "request a refund", "issue a refund", "file a refund", "want my money back",
                    "give me my money back")  # fmt: skip


def _refund_step(text: str, slots: Slots, results: Sequence[ToolReturn]) -> ModelResponse:
    if slots.payment_id is None:  # which payment? a duplicate is the usual reason
        wants_refund = mentions(text, *_ASKS_FOR_REFUND)
        return _duplicate_step(text, slots, results, wants_refund=wants_refund)
    refund = offline.latest_result(results, "request_refund")
    if refund is None:
        return offline.call("request_refund", payment_id=slots.payment_id, reason=text[:200])
    if refund.is_error:
        return offline.answer(f"I couldn't file the refund: {offline.error_text(refund)}")
    r = json.loads(refund.content)
    verb = "was already filed" if r["already_requested"] else "is filed"
    return offline.answer(
        f"Refund request {r['id']} for payment {r['payment_id']} ({format_money(r['amount'])}) "
        f"{verb} (status: {r['status']}). Expect the money on the original card by "
        f"{_day(r['expected_by'])}; your bank may take 2 to 3 more business days to show it."
    )


def _plan_step(text: str, slots: Slots, results: Sequence[ToolReturn]) -> ModelResponse:
    terms = offline.latest_result(results, "payment_plan_terms")
    if terms is None:
        if slots.amount is not None:
            return offline.call("payment_plan_terms", amount=slots.amount)
        return offline.call("payment_plan_terms")
    if terms.is_error:
        return offline.answer(f"I couldn't work out a plan: {offline.error_text(terms)}")
    t = json.loads(terms.content)
    if not t["eligible"]:
        return offline.answer(
            f"{t['note']} If paying is hard, ask about financial assistance or call the billing "
            "office at (541) 555-0120."
        )
    options = "\n".join(
        f"- {o['months']} months: {format_money(o['monthly_payment'])} a month"
        for o in t["options"]
    )
    return offline.answer(
        f"For {format_money(t['amount'])} you can choose a payment plan:\n{options}\n\n"
        f"{t['note']} To set one up, call the billing office at (541) 555-0120 or use Billing in "
        "Riverside MyChart."
    )


def _balance_step(text: str, slots: Slots, results: Sequence[ToolReturn]) -> ModelResponse:
    found = offline.latest_result(results, "get_balance")
    if found is None:
        return offline.call("get_balance")
    b = json.loads(found.content)
    if not b["open_invoices"]:
        body = "You have no balance due: all your invoices are paid."
    else:
        lines = "\n".join(_invoice_line(i) for i in b["open_invoices"])
        body = (
            f"Your balance is {format_money(b['amount_due'])}, from "
            f"{len(b['open_invoices'])} open invoice(s):\n{lines}\n\nPayment is due within 30 "
            "days of your statement."
        )
        if b["amount_due"] > PLAN_MIN_BALANCE:
            body += " Balances over $200 can be paid over 3 to 12 months with no interest."
    if b["credit"] > 0:
        body += (
            f"\n\nYou also have a {format_money(b['credit'])} credit from an overpayment (a "
            "duplicate charge); it will be refunded to your card."
        )
    return offline.answer(body)


def _invoices_step(text: str, slots: Slots, results: Sequence[ToolReturn]) -> ModelResponse:
    found = offline.latest_result(results, "list_invoices")
    if found is None:
        if slots.invoice_id:
            return offline.call("list_invoices", invoice_id=slots.invoice_id)
        status = "open" if mentions(text, "unpaid", "open", "outstanding") else None
        return offline.call("list_invoices", **({"status": status} if status else {}))
    if found.is_error:
        return offline.answer(offline.error_text(found))
    listed: list[dict[str, Any]] = json.loads(found.content)
    if not listed:
        return offline.answer("You have no invoices matching that.")
    return offline.answer("Your invoices:\n" + "\n".join(_invoice_line(i) for i in listed))


def _payments_step(text: str, slots: Slots, results: Sequence[ToolReturn]) -> ModelResponse:
    found = offline.latest_result(results, "list_payments")
    if found is None:
        return offline.call("list_payments")
    listed: list[dict[str, Any]] = json.loads(found.content)
    lines = [
        f"- {p['id']}: {format_money(p['amount'])} on {_day(p['paid_at'])} by {p['method']}"
        + (f" ending {p['card_last4']}" if p["card_last4"] else "")
        + f" for {p['invoice_id']}"
        + {"none": "", "pending": " (refund pending)", "refunded": " (refunded)"}[
            p["refund_status"]
        ]
        for p in reversed(listed)
    ]
    return offline.answer("Your payments, newest first:\n" + "\n".join(lines))


def _policy_step(text: str, slots: Slots, results: Sequence[ToolReturn]) -> ModelResponse:
    if offline.latest_result(results, "search_knowledge") is None:
        return offline.call("search_knowledge", query=text)
    return offline.answer(
        _policy(results, text)
        or "I couldn't find that in our billing policies. The billing office can help at "
        "(541) 555-0120, Monday to Friday 8:30 AM to 5 PM."
    )


_STEPS: dict[BillingIntent, Callable[[str, Slots, Sequence[ToolReturn]], ModelResponse]] = {
    "duplicate": lambda text, slots, results: _duplicate_step(
        text, slots, results, wants_refund=mentions(text, *_ASKS_FOR_REFUND)
    ),
    "refund": _refund_step,
    "plan": _plan_step,
    "balance": _balance_step,
    "invoices": _invoices_step,
    "payments": _payments_step,
    "policy": _policy_step,
}


def billing_planner(deps: ClinicDeps) -> ResponseFunction:
    """The offline planner `(messages, tools) -> ModelResponse` for `deps`' patient."""

    def plan(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        text = offline.last_user_text(messages)
        slots = extract(text, today=deps.today)
        return _STEPS[billing_intent(text, slots)](text, slots, offline.tool_results(messages))

    return plan
