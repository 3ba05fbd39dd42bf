"""What the words around a red flag say about it, in a patient's message."""

from __future__ import annotations

import pytest

from frontdesk.safety.context import (
    about_the_service,
    clause_at,
    clauses,
    mask_idioms,
    modifiers,
    settled,
)


def _modifiers(text: str, mention: str) -> set[str]:
    masked = mask_idioms(text)
    begin = masked.lower().index(mention.lower())
    clause = clause_at(clauses(masked), begin)
    assert clause is not None
    return modifiers(clause, begin, begin + len(mention))


@pytest.mark.parametrize(
    ("text", "mention", "expected"),
    [
        ("my chest hurts", "chest hurts", set()),
        ("no chest pain, just a cough", "chest pain", {"negated"}),
        ("she isn't breathing", "breathing", set()),  # "isn't breathing" is the emergency
        ("I can't breathe", "breathe", set()),
        ("had a stroke in 2019 and need a refill", "stroke", {"past"}),
        ("a seizure as a kid, none since", "seizure", {"past"}),
        ("what should I do if my son swallows a battery?", "swallows a battery", {"hypothetical"}),
        ("what are the signs of a stroke?", "stroke", {"hypothetical"}),
        ("is it normal for my balls to suddenly hurt?", "hurt", set()),
        ("not sure if this is serious but her face is drooping", "face is drooping", set()),
        ("can I get the ER bill for the seizure", "seizure", {"administrative"}),
        ("my father died of a heart attack at 52", "heart attack", {"others_history"}),
        ("my aunt had a stroke, should I get checked", "stroke", {"others_history"}),
        ("my dad had a stroke this morning", "stroke", set()),
        ("his face drooped for ten minutes but it went away", "face drooped", set()),
        ("his face drooped for ten minutes and it went away", "face drooped", {"resolved"}),
        ("The ER said last week's chest pain was costochondritis", "chest pain", {"past"}),
        ("chest pain since last week and worse today", "chest pain", set()),
        ("allergic reaction on Saturday, they gave me adrenaline", "adrenaline", {"past"}),
        ("it started on Monday and my chest pain is crushing", "chest pain", set()),
        ("ache in my testicle on and off for a few weeks, not severe", "testicle", {"chronic"}),
        ("testicle ache for weeks, suddenly much worse", "testicle", set()),
        ("panic attack, chest tight, it passed in 20 minutes", "chest tight", {"resolved"}),
        ("for my nursing assignment: crushing chest pain", "chest pain", {"hypothetical"}),
        ("the nurse said look for his ribs sucking in", "ribs sucking in", {"hypothetical"}),
    ],
)
def test_modifiers_of_a_mention(text: str, mention: str, expected: set[str]) -> None:
    assert _modifiers(text, mention) == expected


def test_a_turn_in_the_message_ends_the_scope() -> None:
    text = "no fever yesterday but tonight she is burning up"
    assert _modifiers(text, "burning up") == set()
    assert _modifiers(text, "fever") == {"negated"}


def test_figures_of_speech_are_blanked_keeping_offsets() -> None:
    for text in ("this bill is killing me", "I nearly died laughing",
                 "it gave me a heart attack when I saw the price"):  # fmt: skip
        masked = mask_idioms(text)
        assert len(masked) == len(text)
        assert "kill" not in masked
        assert "died" not in masked
        assert "heart attack" not in masked
    assert mask_idioms("my chest is killing me") == "my chest is killing me"
    assert mask_idioms("this wait is killing me").strip() == "this"


def test_clauses_split_at_sentences_lines_and_turns() -> None:
    parts = [c.text.strip() for c in clauses("Hi. Can I move my appt? also my arm is numb\nthx")]
    assert parts == ["Hi", "Can I move my appt", "my arm is numb", "thx"]
    assert [c.question for c in clauses("Is this bad? It hurts.")] == [True, False]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # assessed (or explained) + well now + nothing back since
        (
            "Last night my 2yo had a febrile seizure, the ambulance came and the hospital checked "
            "her over and sent us home. She's back to herself today.",
            True,
        ),
        ("The CO alarm went off. Turned out to be the low battery, everyone's fine.", True),
        (
            "Sudden testicle pain yesterday, we went straight to A&E and they sent us home, he's "
            "fine now.",
            True,
        ),
        # not settled: it came back, or nobody has looked, or not well
        ("They sent us home from A&E last night but now she's bleeding again.", False),
        ("She had a seizure an hour ago and she's fine now.", False),
        ("We went to the ER and they discharged us, but she is still vomiting.", False),
        ("He's on the floor, the ambulance came and went to the wrong house.", False),
    ],
)
def test_a_settled_message_was_assessed_and_is_well_now(text: str, expected: bool) -> None:
    assert settled(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Terrible experience today, long lines, disorganized, nobody knew what was going on",
            True,
        ),
        ("the receptionist was rude and never called me back about my refund", True),
        # a symptom, a body part or a medical event keeps it a possible emergency
        ("waited 3 hours and my chest still hurts", False),
        ("the staff were rude and my dad is slurring his words", False),
        ("long wait, and my baby won't wake up properly", False),
    ],
)
def test_a_complaint_about_the_service_alone(text: str, expected: bool) -> None:
    assert about_the_service(text) is expected
