"""The Riverside Clinic `general` specialist: clinic operations (hours, locations, parking, phone
numbers, the Riverside MyChart portal, records requests, how refills work, the pharmacy, and
visitor, mask and accessibility policies), answered from `knowledge/general.md`.

It also holds `knowledge_planner`, the offline planner both knowledge specialists (`general` and
`medical_query`) use: search the knowledge base once, then answer from the best passages, or say
plainly that the knowledge base does not cover the question.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from frontdesk.agents import Specialist
from frontdesk.apps.clinic.guardrails import no_personal_dosing, prompt_injection
from frontdesk.knowledge import KnowledgeBase, KnowledgeSource
from frontdesk.knowledge.questions import everyday_words
from frontdesk.messages import Message
from frontdesk.models.base import Model, ModelResponse, ToolDefinition
from frontdesk.models.testing import ResponseFunction
from frontdesk.offline import (
    OfflineModel,
    answer,
    call,
    closest_source,
    knowledge_answer,
    last_user_text,
    tool_results,
)
from frontdesk.tools import ToolContext

KNOWLEDGE_DIR = Path(__file__).parent / "knowledge"

MAIN_LINE = "(541) 555-0100"
NURSE_LINE = "(541) 555-0111"

INSTRUCTIONS = f"""\
You are the Riverside Clinic front-desk assistant for clinic operations: opening hours, the three
locations and directions, parking, phone and fax numbers, the Riverside MyChart patient portal
(sign-up, login and password help, messages, test results, proxy access), medical records
requests, how prescription refills work, the on-site pharmacy and lab, new patient registration,
what to bring, interpreters, accessibility, masks, visitors, Wi-Fi, lost and found, and feedback.

Rules:
1. Call search_knowledge before answering, and answer only from the passages it returns. Quote
   hours, addresses, phone numbers, fees and time frames exactly as written.
2. If the passages do not answer the question, say so plainly, and give the main line
   {MAIN_LINE} so the person can ask staff. Never invent a policy, price, hour or phone number.
3. You cannot see or change anyone's records, appointments, prescriptions or bills from here:
   explain how the person can do it (MyChart, the pharmacy, the right phone line).
4. Do not give medical advice. For symptoms suggest a visit or the 24-hour nurse advice line
   {NURSE_LINE}; for anything that sounds like an emergency, tell them to call 911 now.
5. Answer in plain language in two to five sentences; use a short list only for several items.
"""

NOT_COVERED = (
    "I don't have that information in the clinic's front-desk guide, so I'd rather not guess. "
    f"Our staff can answer it: call the main line at {MAIN_LINE} (Monday to Friday 7:30 AM to "
    "7 PM, Saturday 8 AM to 2 PM) or send a message in Riverside MyChart."
)

SAFE_REPLY = (
    "I'm sorry, I can't help with that here. Our front-desk staff can: call the main line at "
    f"{MAIN_LINE} or send a message in Riverside MyChart. In an emergency, call 911."
)

EXAMPLES: tuple[str, ...] = (
    "what are your hours on Saturday",
    "what time do you open tomorrow",
    "are you open on sundays",
    "when does the Northgate office close",
    "is the walk-in clinic open late on weeknights",
    "open on thanksgiving?",
    "where are your locations",
    "address for the Eastside walk-in please",
    "how do I get to the main campus by bus",
    "is parking free",
    "where's the entrance to the parking garage",
    "main phone number please",
    "whats the nurse line number",
    "how do I sign up for MyChart",
    "I lost the activation code for the portal",
    "how do I reset my MyChart password",
    "cant log into mychart, it keeps saying wrong password",
    "forgot my username for the patient portal",
    "how do I message my care team online",
    "where can I see my test results",
    "when will my lab results show up in the app",
    "how do I get a copy of my medical records",
    "is there a fee for getting my records",
    "how long does it take to get records",
    "can you send my chart to my new doctor in another state",
    "how do I request a prescription refill",
    "how long do refill requests take to get approved",
    "what are the pharmacy hours",
    "can I fill a prescription from an outside doctor at your pharmacy",
    "how do I register as a new patient",
    "what do I need to bring to my first appointment",
    "do you provide interpreters",
    "I need a Vietnamese interpreter for my mom's visit next week",
    "is the clinic wheelchair accessible",
    "can I bring my service dog",
    "are masks required right now",
    "how many people can come with me to an appointment",
    "I left my umbrella in the waiting room yesterday",
    "lost my glasses at the clinic, did anyone turn them in",
    "how do I leave a compliment for one of the nurses",
    "do you have wifi for patients",
    "is there somewhere to get coffee at the main campus",
    "do I need an appointment for a blood draw",
    "where do I go for an x-ray",
    "can my daughter get proxy access to my chart",
    "whats ur fax #",
    "mychart app not working on my phone",
    "What time does the lab open on weekdays?",
    "holiday hours for christmas eve",
    "how do I transfer my records to a new clinic",
    "I need my kid's immunization records for school",
    "where do I find the records release form",
    "can you fax my chart over to my new doctor's office",
    "my new primary care office needs my old records, how do I get them there",
    "has my records request been processed yet",
    "records request",
)

_WORD = re.compile(r"[a-z][a-z']+")


def _vocabulary(knowledge: KnowledgeBase) -> list[str]:
    words = {
        w
        for d in knowledge.documents
        for w in _WORD.findall(f"{d.title} {d.text}".lower())
        if len(w) >= 3
    }
    return sorted(words)


def search_query(question: str, vocabulary: Sequence[str]) -> str:
    """The question with likely misspellings ("fevr", "pasword") replaced by the closest word
    of the knowledge base, as a model would tidy a query before searching. Everyday English
    words are left alone ("live" is not a typo of "liver")."""
    known = set(vocabulary)
    english = everyday_words()

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        lower = word.lower()
        if len(lower) < 4 or lower in known or lower in english:
            return word
        close = [
            c
            for c in difflib.get_close_matches(lower, vocabulary, n=3, cutoff=0.8)
            if c[0] == lower[0]  # misspellings rarely change the first letter ("gout" ≠ "out")
        ]
        return close[0] if close else word

    return re.sub(r"[A-Za-z][A-Za-z']+", fix, question)


def knowledge_planner(
    knowledge: KnowledgeBase | KnowledgeSource,
    *,
    not_covered: str,
    preface: Callable[[str], str | None] | None = None,
    vocabulary_from: KnowledgeBase | None = None,
) -> ResponseFunction:
    """An offline planner: one `search_knowledge` call, then an answer built from the best
    passages with `knowledge_answer`, or `not_covered` when nothing relevant came back.
    `preface(question)` may return a line to put first (e.g. an emergency warning); with a
    preface and no relevant passage, the preface is the whole answer. Misspellings in the
    query are fixed against the words of `vocabulary_from` (default: `knowledge`, when it is a
    curated knowledge base)."""
    source = vocabulary_from or (knowledge if isinstance(knowledge, KnowledgeBase) else None)
    vocabulary = _vocabulary(source) if source is not None else []

    def plan(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> ModelResponse:
        question = last_user_text(messages)
        query = search_query(question, vocabulary)
        searches = [r for r in tool_results(messages) if r.name == "search_knowledge"]
        if not searches:
            if not any(t.name == "search_knowledge" for t in tools):
                return answer(not_covered)
            return call("search_knowledge", query=query)
        latest = searches[-1]
        reply = None if latest.is_error else knowledge_answer(latest, query)
        first = preface(question) if preface is not None else None
        if first is not None:
            # An urgent first line stands on its own; "not covered" after it would only distract.
            return answer(f"{first}\n\n{reply}" if reply else first)
        if reply is None and not latest.is_error and (pointer := closest_source(latest)):
            return answer(f"{not_covered}\n\n{pointer}")
        return answer(reply or not_covered)

    return plan


def general_knowledge() -> KnowledgeBase:
    """The clinic-operations knowledge base (`knowledge/general.md`)."""
    return KnowledgeBase.from_markdown("clinic-general", KNOWLEDGE_DIR / "general.md")


def general_specialist() -> Specialist:
    """The `general` specialist: clinic operations, answered from the front-desk guide."""
    knowledge = general_knowledge()
    planner = knowledge_planner(knowledge, not_covered=NOT_COVERED)  # stateless: shared by runs

    def offline(ctx: ToolContext) -> Model:
        return OfflineModel(planner, name="offline-general")

    return Specialist(
        name="general",
        description=(
            "Clinic operations: opening hours, locations and parking, phone and fax numbers, the "
            "Riverside MyChart portal (sign-up, passwords, messages, test results), medical "
            "records requests, how prescription refills work, the pharmacy and lab, new patient "
            "registration, interpreters, accessibility, masks, visitors, lost and found."
        ),
        instructions=INSTRUCTIONS,
        knowledge=knowledge,
        examples=EXAMPLES,
        input_guardrails=(prompt_injection,),
        output_guardrails=(no_personal_dosing,),
        offline=offline,
        safe_reply=SAFE_REPLY,
    )


__all__ = [
    "EXAMPLES",
    "INSTRUCTIONS",
    "general_knowledge",
    "general_specialist",
    "knowledge_planner",
    "search_query",
]
