"""Router training data and regex safety nets for the clinic categories without a specialist."""

from __future__ import annotations

import re

import pytest

from frontdesk.apps.clinic.routes import (
    COMPLAINT_EXAMPLES,
    EMERGENCY_EXAMPLES,
    EMERGENCY_PATTERNS,
    LEGAL_EXAMPLES,
    OUT_OF_SCOPE_EXAMPLES,
    PERSON_REQUEST_PATTERNS,
    SELF_HARM_PATTERNS,
    asks_for_person,
    is_emergency,
    mentions_self_harm,
)
from frontdesk.routing import RouteRule

CATEGORIES = {
    "emergency": EMERGENCY_EXAMPLES,
    "legal": LEGAL_EXAMPLES,
    "complaint": COMPLAINT_EXAMPLES,
    "oos": OUT_OF_SCOPE_EXAMPLES,
}

# Phrasings written for this test, not taken from the training examples.
EMERGENCIES = [
    "There's a tight squeezing pain in my chest and I'm sweating",
    "my chest hurts really bad and it goes into my arm",
    "I'm having a lot of pressure in my chest",
    "I can't breathe",
    "my son can't catch his breath and his lips are turning blue",
    "struggling to breathe after running up the stairs",
    "grandpa's face looks droopy on the left and he's confused",
    "she's slurring her words all of a sudden",
    "my right arm went numb and my face feels weird",
    "weakness on one side of my body since this morning",
    "my husband passed out and is not waking up",
    "my sister is unresponsive",
    "there's so much blood, the cut won't stop bleeding",
    "heavy bleeding that won't stop after my tooth was pulled",
    "my kid drank some antifreeze from the garage",
    "I think I overdosed on my anxiety meds",
    "I want to end my life",
    "having thoughts of suicide",
    "I keep thinking about killing myself",
    "I feel like hurting myself tonight",
    "bee sting and my tongue is swelling",
    "my throat feels tight after I ate peanuts",
    "my son is having a seizure right now",
    "my dad is convulsing on the floor",
    "severe burns on my hands from a grease fire",
    "third degree burn from the stove",
    "my baby is choking on a grape",
    "help I think I'm having a heart attack",
    "she took a whole bottle of tylenol",
    "my friend won't respond to me after drinking all night",
    "my toddler swallowed a button battery",
    # recall over precision: a past emergency mentioned with a records request is still flagged
    "Chest pain last year, now I need my records",
]

CLINIC_MESSAGES = [
    "what are your hours on Saturday",
    "how do I reset my MyChart password",
    "I need a refill of my seizure medication",
    "can I get my chest x-ray results in the portal",
    "where do I park at Main Campus",
    "my kid has a rash from poison ivy",
    "I have bad heartburn after meals, what helps?",
    "is the flu shot available at the pharmacy",
    "how much does a copy of my records cost",
    "I want to book a physical next week",
    "what does a cholesterol of 220 mean",
    "do you have Spanish interpreters",
    "is a person available for appointments on Friday",
    "can I bring my husband to my visit",
    "I think I have food poisoning from last night, mostly just queasy",
    "the portal is not responding when I log in",
    "how long does a records request take",
    "my blood pressure was 135 over 85 at home",
    "how do prescription refills work",
    "does insurance cover a hearing aid fitting",
    "I have a sore throat and a runny nose",
    "my wrist hurts after I fell on it yesterday",
    "that's odd, my appointment disappeared from the app",
    "what's your fax number for records",
    "need a note for work after my cold",
    "can I take ibuprofen with my blood pressure medicine",
    "how often should I get a mammogram",
    "I ate before my blood test, is that okay",
    "my chest congestion won't go away after a cold",
    "where is the lost and found",
]

PERSON_REQUESTS = [
    "talk to a real person",
    "speak to someone",
    "human please",
    "representative",
    "operator",
    "connect me with staff",
    "can I talk to a nurse",
    "can I talk to the receptionist",
    "agent!!",
    "AGENT",
    "I need to speak with a human about my bill",
    "get me a real person",
    "I'd like a live agent",
    "please have someone call me back",
    "transfer me to the front desk",
    "is there a real human I can talk to",
    "no more bots, let me speak to staff",
    "Can I chat with someone from your team?",
    "put me through to a person",
    "I want a human",
    "Speak to representative",
    "let me talk to somebody",
    "this isn't helping, I want to talk to a person",
    "could a nurse call me today",
    "hello? real person?",
]

NOT_PERSON_REQUESTS = [
    "is a person available for appointments on Friday",
    "what are your hours on Saturday",
    "do you have someone who speaks Spanish",
    "Is the nurse practitioner available Monday",
    "can my husband pick up my prescription",
    "I need the HPV vaccine",
    "I need a human papillomavirus vaccine",
    "what does the nurse line do",
    "how do I reset my MyChart password",
    "who is my primary care doctor",
    "can a family member come to my appointment",
    "does Dr Patel see new patients",
    "what time does the front desk open",
    "is there a person I can book with on Friday",
    "I want to see a doctor next week",
    "how do I send a message to my doctor in the portal",
    "do your staff wear masks",
    "can I talk to my doctor about my results at my visit",
    "where is the pharmacy",
    "my travel agent needs a vaccine letter",
    "need a refill please",
    "how do I get my records",
    "can someone pick up my records for me",
    "which doctor is on call this weekend",
    "I have a question about my bill",
]


@pytest.mark.parametrize(
    ("category", "minimum"), [("emergency", 40), ("legal", 40), ("complaint", 40), ("oos", 60)]
)
def test_enough_distinct_examples(category: str, minimum: int) -> None:
    examples = CATEGORIES[category]

    assert len(examples) >= minimum
    assert all(e.strip() == e and e for e in examples)
    assert len({e.lower() for e in examples}) == len(examples)


def test_categories_do_not_share_examples() -> None:
    seen: dict[str, str] = {}
    for category, examples in CATEGORIES.items():
        for example in examples:
            assert seen.setdefault(example.lower(), category) == category, example


def test_examples_vary_in_length() -> None:
    for examples in CATEGORIES.values():
        lengths = [len(e.split()) for e in examples]
        assert min(lengths) <= 2
        assert max(lengths) >= 12


def test_patterns_compile() -> None:
    for pattern in (*EMERGENCY_PATTERNS, *PERSON_REQUEST_PATTERNS):
        re.compile(pattern, re.IGNORECASE)
    assert set(SELF_HARM_PATTERNS) <= set(EMERGENCY_PATTERNS)


def test_every_emergency_example_matches_the_safety_net() -> None:
    assert [e for e in EMERGENCY_EXAMPLES if not is_emergency(e)] == []


@pytest.mark.parametrize("text", EMERGENCIES)
def test_emergency_phrasings_match(text: str) -> None:
    assert is_emergency(text)


@pytest.mark.parametrize("text", CLINIC_MESSAGES)
def test_routine_clinic_messages_do_not_match(text: str) -> None:
    assert not is_emergency(text)


def test_other_categories_do_not_match_the_emergency_net() -> None:
    others = (*LEGAL_EXAMPLES, *COMPLAINT_EXAMPLES, *OUT_OF_SCOPE_EXAMPLES)
    assert [e for e in others if is_emergency(e)] == []


def test_self_harm_subset() -> None:
    assert mentions_self_harm("been thinking about suicide a lot")
    assert mentions_self_harm("I don't want to be alive anymore")
    assert not mentions_self_harm("crushing chest pain")
    assert is_emergency("crushing chest pain")


def test_works_as_a_route_rule() -> None:
    rule = RouteRule(category="emergency", patterns=EMERGENCY_PATTERNS)

    assert rule.matches("MY DAD IS HAVING A STROKE")
    assert not rule.matches("can I get a flu shot on Saturday")


@pytest.mark.parametrize("text", PERSON_REQUESTS)
def test_person_requests_match(text: str) -> None:
    assert asks_for_person(text)


@pytest.mark.parametrize("text", NOT_PERSON_REQUESTS)
def test_other_messages_are_not_person_requests(text: str) -> None:
    assert not asks_for_person(text)


def test_training_examples_are_not_person_requests() -> None:
    every = [e for examples in CATEGORIES.values() for e in examples]
    assert [e for e in every if asks_for_person(e)] == []


async def test_training_data_separates_the_clinic_categories() -> None:
    from frontdesk.apps.clinic.general import EXAMPLES as GENERAL_EXAMPLES
    from frontdesk.apps.clinic.medical import EXAMPLES as MEDICAL_EXAMPLES
    from frontdesk.routing import OUT_OF_SCOPE, EmbeddingRouter

    router = EmbeddingRouter(
        examples={
            "emergency": EMERGENCY_EXAMPLES,
            "legal": LEGAL_EXAMPLES,
            "complaint": COMPLAINT_EXAMPLES,
            "medical_query": MEDICAL_EXAMPLES,
            "general": GENERAL_EXAMPLES,
            OUT_OF_SCOPE: OUT_OF_SCOPE_EXAMPLES,
        }
    )
    expected = {
        "my lawyer is going to contact you about my surgery": "legal",
        "can my attorney get my x-ray images": "legal",
        "the front desk staff were so rude today": "complaint",
        "the doctor barely spoke to me, very unprofessional": "complaint",
        "is it safe to take tylenol and advil together": "medical_query",
        "how do I know if my cut is infected": "medical_query",
        "what time does the pharmacy close": "general",
        "where is the Eastside clinic": "general",
        "i swallowed a bunch of pills": "emergency",
        "my baby isn't breathing right": "emergency",
        "how do I install numpy": None,
        "what's the tallest building in the world": None,
    }

    got = {text: (await router.route(text)).category for text in expected}

    assert got == expected
