"""What the words around a red flag say about it, in a patient's message."""

from __future__ import annotations

import pytest

from frontdesk.safety.context import clause_at, clauses, mask_idioms, modifiers


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
