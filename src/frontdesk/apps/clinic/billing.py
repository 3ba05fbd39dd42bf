"""The billing specialist: tools over the patient's invoices and payments, and its
declaration. The offline planner that drives the tools when no model is configured is in
`billing_planner`.

Money is stored in cents and shown in dollars. The policy numbers here (payment plans, refund
times) are the ones `knowledge/billing.md` states; a test keeps the two in step.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from frontdesk import offline
from frontdesk.agents import Specialist
from frontdesk.apps.clinic import db
from frontdesk.apps.clinic.db import ClinicError
from frontdesk.apps.clinic.deps import ClinicDeps
from frontdesk.apps.clinic.slots import format_money
from frontdesk.knowledge import KnowledgeBase
from frontdesk.models.base import Model
from frontdesk.tools import ToolContext, tool

KNOWLEDGE_FILE = Path(__file__).parent / "knowledge" / "billing.md"
PLAN_MIN_BALANCE = 200.0
PLAN_MONTHS = (3, 6, 9, 12)
PLAN_MIN_MONTHLY = 25.0
REFUND_BUSINESS_DAYS = 5
DUPLICATE_WINDOW_DAYS = 90
InvoiceStatus = Literal["open", "paid", "refunded"]


@dataclass(kw_only=True, slots=True)
class InvoiceInfo:
    """One invoice in dollars: what was charged, what insurance took off, what is left."""

    id: str
    service_date: str
    description: str
    charges: float
    insurance_adjustment: float
    patient_responsibility: float
    paid: float
    balance: float
    status: str


@dataclass(kw_only=True, slots=True)
class PaymentInfo:
    """One payment the patient made."""

    id: str
    invoice_id: str
    paid_at: str
    amount: float
    method: str
    card_last4: str | None
    refund_status: str


@dataclass(kw_only=True, slots=True)
class Balance:
    """What the patient owes now, by open invoice, and any credit from overpayments."""

    amount_due: float
    open_invoices: list[InvoiceInfo]
    credit: float
    insurer: str


@dataclass(kw_only=True, slots=True)
class DuplicateCharge:
    """Identical payments (same invoice, amount, card and day): the first stands, the others
    are duplicates to refund."""

    invoice_id: str
    description: str
    service_date: str
    amount: float
    charged_on: str
    card_last4: str | None
    payment_ids: list[str]
    duplicate_payment_ids: list[str]
    refund_status: str


@dataclass(kw_only=True, slots=True)
class PlanOption:
    months: int
    monthly_payment: float


@dataclass(kw_only=True, slots=True)
class PaymentPlanTerms:
    """The payment plans the clinic offers for `amount`."""

    amount: float
    eligible: bool
    options: list[PlanOption]
    interest_rate_percent: float
    minimum_monthly_payment: float
    note: str


@dataclass(kw_only=True, slots=True)
class RefundRequest:
    """A filed refund request; `already_requested` when it existed before this call."""

    id: str
    payment_id: str
    amount: float
    status: str
    requested_on: str
    expected_by: str
    already_requested: bool


def _dollars(cents: int) -> float:
    return round(cents / 100, 2)


def add_business_days(day: dt.date, count: int) -> dt.date:
    """`count` weekdays after `day`."""
    while count > 0:
        day += dt.timedelta(days=1)
        count -= day.weekday() < 5
    return day


_PAYMENTS_SQL = """
SELECT p.*, r.status AS refund_status FROM payments p
LEFT JOIN refund_requests r ON r.payment_id = p.id
WHERE p.patient_id = ? ORDER BY p.paid_at, p.id
"""


def payments(deps: ClinicDeps) -> list[PaymentInfo]:
    """The patient's payments, oldest first, with the state of any refund."""
    with db.connect(deps.db_path) as conn:
        rows = conn.execute(_PAYMENTS_SQL, (deps.patient_id,)).fetchall()
    return [
        PaymentInfo(
            id=r["id"],
            invoice_id=r["invoice_id"],
            paid_at=r["paid_at"],
            amount=_dollars(r["amount_cents"]),
            method=r["method"],
            card_last4=r["card_last4"],
            refund_status=r["refund_status"] or "none",
        )
        for r in rows
    ]


def invoices(deps: ClinicDeps) -> list[InvoiceInfo]:
    """The patient's invoices, newest first; refunded payments do not count as paid."""
    paid: dict[str, float] = {}
    for p in payments(deps):
        if p.refund_status != "refunded":
            paid[p.invoice_id] = round(paid.get(p.invoice_id, 0.0) + p.amount, 2)
    with db.connect(deps.db_path) as conn:
        rows = conn.execute(
            "SELECT * FROM invoices WHERE patient_id = ? ORDER BY service_date DESC, id DESC",
            (deps.patient_id,),
        ).fetchall()
    found: list[InvoiceInfo] = []
    for r in rows:
        owed = _dollars(r["charge_cents"] - r["insurance_adjustment_cents"])
        found.append(
            InvoiceInfo(
                id=r["id"],
                service_date=r["service_date"],
                description=r["description"],
                charges=_dollars(r["charge_cents"]),
                insurance_adjustment=_dollars(r["insurance_adjustment_cents"]),
                patient_responsibility=owed,
                paid=paid.get(r["id"], 0.0),
                balance=max(round(owed - paid.get(r["id"], 0.0), 2), 0.0),
                status=r["status"],
            )
        )
    return found


def balance(deps: ClinicDeps) -> Balance:
    """What `get_balance` answers."""
    everything = invoices(deps)
    still_open = [i for i in everything if i.status == "open" and i.balance > 0]
    credit = sum(max(i.paid - i.patient_responsibility, 0.0) for i in everything)
    with db.connect(deps.db_path) as conn:
        row = conn.execute(
            "SELECT insurer FROM patients WHERE id = ?", (deps.patient_id,)
        ).fetchone()
    insurer = str(row["insurer"]) if row else "unknown"
    return Balance(
        amount_due=round(sum(i.balance for i in still_open), 2),
        open_invoices=still_open,
        credit=round(credit, 2),
        insurer=insurer,
    )


def duplicate_charges(deps: ClinicDeps, days: int) -> list[DuplicateCharge]:
    """What `find_duplicate_charges` answers."""
    if not 1 <= days <= 365:
        raise ClinicError(f"days must be between 1 and 365, not {days}.")
    since = (deps.today - dt.timedelta(days=days)).isoformat()
    by_invoice = {i.id: i for i in invoices(deps)}
    groups: dict[tuple[str, float, str, str | None, str], list[PaymentInfo]] = {}
    for p in payments(deps):
        if p.paid_at >= since:
            key = (p.invoice_id, p.amount, p.method, p.card_last4, p.paid_at[:10])
            groups.setdefault(key, []).append(p)
    found: list[DuplicateCharge] = []
    for (invoice_id, amount, _, card, day), group in groups.items():
        if len(group) < 2:
            continue
        extra = group[1:]
        statuses = {p.refund_status for p in extra}
        invoice = by_invoice[invoice_id]
        found.append(
            DuplicateCharge(
                invoice_id=invoice_id,
                description=invoice.description,
                service_date=invoice.service_date,
                amount=amount,
                charged_on=day,
                card_last4=card,
                payment_ids=[p.id for p in group],
                duplicate_payment_ids=[p.id for p in extra],
                refund_status="not requested" if statuses == {"none"} else "/".join(statuses),
            )
        )
    return found


def payment_plan(amount: float) -> PaymentPlanTerms:
    """The plans offered for `amount` dollars (pure policy arithmetic)."""
    if not 0 < amount <= 100_000:
        raise ClinicError(f"amount must be a positive number of dollars, not {amount}.")
    if amount <= PLAN_MIN_BALANCE:
        note = (
            f"Payment plans are for balances over {format_money(PLAN_MIN_BALANCE)}; "
            f"{format_money(amount)} is due in full within 30 days of the statement."
        )
        return PaymentPlanTerms(
            amount=amount, eligible=False, options=[], interest_rate_percent=0.0,
            minimum_monthly_payment=PLAN_MIN_MONTHLY, note=note,
        )  # fmt: skip
    options = [
        PlanOption(months=m, monthly_payment=math.ceil(amount * 100 / m) / 100)
        for m in PLAN_MONTHS
        if amount / m >= PLAN_MIN_MONTHLY
    ]
    return PaymentPlanTerms(
        amount=amount,
        eligible=bool(options),
        options=options,
        interest_rate_percent=0.0,
        minimum_monthly_payment=PLAN_MIN_MONTHLY,
        note=(
            f"{PLAN_MONTHS[0]} to {PLAN_MONTHS[-1]} months, 0% interest and no fees; the "
            f"monthly payment is at least {format_money(PLAN_MIN_MONTHLY)} and is charged "
            "automatically to a card on file."
        ),
    )


def file_refund(deps: ClinicDeps, payment_id: str, reason: str) -> RefundRequest:
    """What `request_refund` does: one request per payment, so asking twice is harmless."""
    payment_id = payment_id.strip().upper()
    with db.transaction(deps.db_path) as conn:
        payment = conn.execute(
            "SELECT * FROM payments WHERE id = ? AND patient_id = ?", (payment_id, deps.patient_id)
        ).fetchone()
        if payment is None:
            raise ClinicError(f"You have no payment {payment_id}.")
        existing = conn.execute(
            "SELECT * FROM refund_requests WHERE payment_id = ?", (payment_id,)
        ).fetchone()
        if existing is None:
            number = conn.execute("SELECT COUNT(*) + 1 FROM refund_requests").fetchone()[0]
            conn.execute(
                "INSERT INTO refund_requests VALUES (?, ?, ?, ?, ?, 'pending')",
                (f"RR-{number:04d}", payment_id, deps.patient_id, deps.today.isoformat(),
                 reason.strip()[:200] or "refund requested"),
            )  # fmt: skip
            existing = conn.execute(
                "SELECT * FROM refund_requests WHERE payment_id = ?", (payment_id,)
            ).fetchone()
            created = True
        else:
            created = False
    requested_on = dt.date.fromisoformat(existing["requested_on"])
    return RefundRequest(
        id=existing["id"],
        payment_id=payment_id,
        amount=_dollars(payment["amount_cents"]),
        status=existing["status"],
        requested_on=requested_on.isoformat(),
        expected_by=add_business_days(requested_on, REFUND_BUSINESS_DAYS).isoformat(),
        already_requested=not created,
    )


@tool
async def get_balance(ctx: ToolContext) -> Balance:
    """The signed-in patient's current balance: the amount due by open invoice, and any credit
    from overpayments such as a duplicate charge."""
    return await asyncio.to_thread(balance, ClinicDeps.of(ctx))


@tool
async def list_invoices(
    ctx: ToolContext, status: InvoiceStatus | None = None, invoice_id: str | None = None
) -> list[InvoiceInfo]:
    """The signed-in patient's invoices, newest first, optionally only one status ("open",
    "paid", "refunded") or one invoice id (e.g. "INV-2001")."""
    found = await asyncio.to_thread(invoices, ClinicDeps.of(ctx))
    if invoice_id is not None:
        found = [i for i in found if i.id == invoice_id.strip().upper()]
        if not found:
            raise ClinicError(f"You have no invoice {invoice_id}.")
    return [i for i in found if status is None or i.status == status]


@tool
async def list_payments(ctx: ToolContext) -> list[PaymentInfo]:
    """The signed-in patient's payments, oldest first, with the state of any refund."""
    return await asyncio.to_thread(payments, ClinicDeps.of(ctx))


@tool
async def find_duplicate_charges(
    ctx: ToolContext, days: int = DUPLICATE_WINDOW_DAYS
) -> list[DuplicateCharge]:
    """Identical card payments (same invoice, amount, card and day) in the last `days` days
    (1–365): the usual cause of "I was charged twice"."""
    return await asyncio.to_thread(duplicate_charges, ClinicDeps.of(ctx), days)


@tool
async def payment_plan_terms(ctx: ToolContext, amount: float | None = None) -> PaymentPlanTerms:
    """The payment plan options for `amount` dollars, or for the patient's current balance when
    no amount is given: plans for balances over $200, 3–12 months, 0% interest."""
    if amount is None:
        amount = (await asyncio.to_thread(balance, ClinicDeps.of(ctx))).amount_due
    return payment_plan(amount)


@tool
async def request_refund(
    ctx: ToolContext, payment_id: str, reason: str = "duplicate charge"
) -> RefundRequest:
    """File a refund request for one of the signed-in patient's payments (e.g. "PAY-3002").
    Idempotent: a payment has at most one request, and asking again returns it."""
    return await asyncio.to_thread(file_refund, ClinicDeps.of(ctx), payment_id, reason)


BILLING_TOOLS = (
    get_balance,
    list_invoices,
    list_payments,
    find_duplicate_charges,
    payment_plan_terms,
    request_refund,
)

INSTRUCTIONS = """\
You are the billing assistant of Riverside Clinic. You help the signed-in patient understand
their balance, invoices and payments, find and refund duplicate charges, set up payment plans,
and answer questions about insurance, copays, prices and billing policies.

How to work:
- Use the tools for every amount, date and id; never estimate or invent a number. Amounts are in
  US dollars.
- "I was charged twice": call find_duplicate_charges and name the duplicate (date, amount, card,
  payment id). Explain that duplicates are refunded to the original card within 5 business days
  of being reported, and offer to file the request with request_refund; file it when the patient
  asks for a refund.
- Balance questions: get_balance, then list the open invoices behind the amount.
- Payment plans: payment_plan_terms with the amount (or none, for the current balance).
- Policy questions (accepted insurance, copays, itemized bills, disputes, financial assistance,
  price estimates): call search_knowledge and answer only from what it returns.
- You cannot change a bill, waive a fee or take a card payment. For those, and for anything you
  cannot resolve, refer the patient to the billing office at (541) 555-0120.
- Be brief, exact and kind; people asking about money are often worried.
"""

EXAMPLES = (
    "I was charged twice for my visit last week",
    "I think I got double charged",
    "why are there two charges on my card?",
    "duplicate charge on my credit card",
    "charged 2 times for the same appointment",
    "i was chraged twice",
    "you billed me twice",
    "I want a refund for the duplicate payment",
    "refund PAY-3002 please",
    "when will I get my refund?",
    "What is my balance?",
    "how much do I owe",
    "whats my balence",
    "do I have anything outstanding?",
    "Why is my bill so high?",
    "show me my invoices",
    "what is invoice INV-1982 for?",
    "can I see my unpaid bills",
    "list my payments",
    "did my last payment go through?",
    "Can I set up a payment plan?",
    "can i pay in installments",
    "payment plan for $450",
    "I can't pay it all at once",
    "Do you take Aetna?",
    "Is Blue Cross accepted?",
    "do you accept medicare",
    "What's my copay for a specialist?",
    "How do I get an itemized bill?",
    "I want to dispute a charge",
    "Do you offer financial assistance?",
    "how much does an office visit cost without insurance",
    "Can I get a price estimate for an X-ray?",
    "Can I pay with my HSA card?",
    "What happens if I don't pay my bill?",
    "my insurance denied the claim, what now",
    "why did insurance not cover my visit",
    "billing question",
    "bill",
    "is there a fee for a no show",
    "I got a bill for a late cancellation",
    "how do I update my insurance",
)


def billing_knowledge(*, path: Path = KNOWLEDGE_FILE) -> KnowledgeBase:
    """The billing and insurance knowledge base (`knowledge/billing.md`)."""
    return KnowledgeBase.from_markdown("billing", path)


def offline_billing_model(ctx: ToolContext) -> Model:
    """The deterministic stand-in model for the billing specialist (no LLM needed)."""
    # Imported here because the planner imports this module's policy constants.
    from frontdesk.apps.clinic.billing_planner import billing_planner

    return offline.OfflineModel(billing_planner(ClinicDeps.of(ctx)), name="offline-billing")


def billing_specialist(*, knowledge: KnowledgeBase | None = None) -> Specialist:
    """The billing specialist: balance, invoices, duplicate charges, refunds, payment plans and
    insurance questions, with an offline planner."""
    return Specialist(
        name="billing",
        description=(
            "Answers questions about the patient's balance, invoices and payments, finds and "
            "refunds duplicate charges, explains payment plans, and answers insurance, copay, "
            "price and billing policy questions."
        ),
        instructions=INSTRUCTIONS,
        tools=BILLING_TOOLS,
        knowledge=knowledge if knowledge is not None else billing_knowledge(),
        examples=EXAMPLES,
        offline=offline_billing_model,
    )
