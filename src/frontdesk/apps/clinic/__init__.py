"""The clinic assistant: the reference application of frontdesk.

Categories: `medical_query`, `billing`, `scheduling`, `general` (each a specialist), and
`legal`, `complaint` (handed to a human). Before the router, the safety gate (`safety.py`)
checks every message for a medical emergency or a self-harm crisis: when it fires the message
is an `emergency`, answered at once with emergency services (988 for a crisis) and handed to
staff as a P0 ticket. Unclear and off-topic messages are clarified. Without `FRONTDESK_MODEL`
every specialist answers offline from its knowledge base and tools, and says so.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from frontdesk.apps.clinic.billing import billing_specialist
from frontdesk.apps.clinic.deps import ClinicDeps
from frontdesk.apps.clinic.extra_examples import EXTRA_EXAMPLES
from frontdesk.apps.clinic.general import general_specialist
from frontdesk.apps.clinic.medical import medical_specialist
from frontdesk.apps.clinic.routes import (
    COMPLAINT_EXAMPLES,
    LEGAL_EXAMPLES,
    OUT_OF_SCOPE_EXAMPLES,
    PERSON_REQUEST_PATTERNS,
)
from frontdesk.apps.clinic.safety import clinic_gate
from frontdesk.apps.clinic.scheduling import scheduling_specialist
from frontdesk.config import Settings
from frontdesk.guards.limits import Limits
from frontdesk.knowledge import KnowledgeSource, open_index
from frontdesk.knowledge.index import IndexedKnowledge
from frontdesk.patterns import RouterSpecialist
from frontdesk.runtime import App

HANDOFF_REPLIES = {
    "emergency": "I've also alerted our on-call staff, who will follow up with you here.",
    "legal": (
        "Thank you. Legal and privacy matters are handled by our compliance office: I've passed "
        "your message on, and a member of that team will contact you within one business day."
    ),
    "complaint": (
        "I'm sorry about your experience. I've passed your message to our patient relations "
        "team, who will reply here and follow up with you personally."
    ),
    "person_requested": (
        "Of course. I'm connecting you with a member of our team; they'll reply here shortly."
    ),
    "repeated_clarification": (
        "I'm having trouble understanding what you need, so I've asked a member of our team to "
        "help. They'll reply here shortly."
    ),
    "guardrail_blocked": "A member of our care team will review your question and reply here.",
}

TOPIC_LABELS = {
    "medical_query": "a general health question",
    "billing": "a bill, payment or insurance question",
    "scheduling": "booking, changing or cancelling an appointment",
    "general": "clinic information (hours, locations, portal, records)",
}


def clinic_pattern(knowledge: KnowledgeSource | None = None) -> RouterSpecialist:
    """The clinic's router → specialists declaration; `knowledge` is a corpus the medical
    specialist answers from first (a built knowledge index), else its curated guidance."""
    return RouterSpecialist(
        specialists=[
            medical_specialist(knowledge),
            billing_specialist(),
            scheduling_specialist(),
            general_specialist(),
        ],
        routes={
            **{c: t for c, t in EXTRA_EXAMPLES.items() if c not in ("oos", "unclear", "emergency")},
            "legal": LEGAL_EXAMPLES + EXTRA_EXAMPLES["legal"],
            "complaint": COMPLAINT_EXAMPLES + EXTRA_EXAMPLES["complaint"],
        },
        escalate={"legal", "complaint"},
        out_of_scope=OUT_OF_SCOPE_EXAMPLES + EXTRA_EXAMPLES["oos"],
        unclear=EXTRA_EXAMPLES["unclear"],
        threshold=0.4,  # cross-validated on the training set: bench/tune_clinic_router.py
        person_patterns=PERSON_REQUEST_PATTERNS,
        safety=clinic_gate(),
        handoff_replies=HANDOFF_REPLIES,
        topic_labels=TOPIC_LABELS,
    )


def build_app(settings: Settings) -> App:
    """The clinic app configured by `settings` (offline unless `settings.model` is set)."""
    data_dir = settings.data_dir
    deps = ClinicDeps.create(data_dir)  # creates and seeds the demo database once
    knowledge = None
    if settings.knowledge_index:
        knowledge = IndexedKnowledge(index=open_index(settings.knowledge_index, data_dir=data_dir))
    return App(
        clinic_pattern(knowledge),
        name="clinic",
        data_dir=data_dir,
        store=settings.store_url,
        model=settings.model,
        # "today" is read per request, so a long-running server does not keep a stale date
        deps=lambda conversation_id: dataclasses.replace(deps, today=date.today()),
        limits=Limits(max_steps=settings.max_steps),
        max_message_chars=settings.max_message_chars,
        lease_ttl_s=settings.lease_ttl_s,
        lease_wait_s=settings.lease_wait_s,
        budget=settings.budget(),
        prices=settings.price_table(),
    )


__all__ = ["ClinicDeps", "build_app", "clinic_pattern"]
