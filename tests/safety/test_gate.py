"""The gate's mechanics with detector doubles: which class fires, the evidence, and a model's
second opinion that may add an alarm but never remove one."""

from __future__ import annotations

import pytest

from frontdesk.errors import ConfigError, ModelError
from frontdesk.models import FunctionModel, ScriptedModel
from frontdesk.models.testing import text_response
from frontdesk.safety import FunctionDetector, RiskScore, SafetyGate, SafetyVerdict
from frontdesk.safety.gate import parse_opinion


def _gate(medical: float, crisis: float, **options: object) -> SafetyGate:
    return SafetyGate(
        detectors=[
            FunctionDetector("medical_emergency", lambda t: medical, threshold=0.6),
            FunctionDetector(
                "self_harm",
                lambda t: RiskScore(score=crisis, evidence=('"took all my pills" (rule x)',)),
                threshold=0.3,
            ),
        ],
        replies={"medical_emergency": "Call 911.", "self_harm": "Call or text 988."},
        **options,  # type: ignore[arg-type]
    )


def test_a_detector_at_its_threshold_fires_with_its_class_and_evidence() -> None:
    verdict = _gate(0.1, 0.3).screen("text")
    assert (verdict.fired, verdict.risk_class, verdict.score) == (True, "self_harm", 0.3)
    assert verdict.evidence == ['"took all my pills" (rule x)']
    assert verdict.threshold == 0.3


def test_below_every_threshold_nothing_fires_and_no_evidence_is_kept() -> None:
    verdict = _gate(0.59, 0.25).screen("text")
    assert not verdict.fired
    assert verdict.evidence == []
    # the class reported is the one closest to its threshold
    assert (verdict.risk_class, verdict.score) == ("medical_emergency", 0.59)


def test_when_two_classes_fire_the_one_furthest_past_its_threshold_wins() -> None:
    assert _gate(0.99, 0.31).screen("x").risk_class == "medical_emergency"
    assert _gate(0.61, 0.9).screen("x").risk_class == "self_harm"


def test_replies_fall_back_to_the_first_when_a_class_has_none() -> None:
    gate = _gate(0.0, 0.0)
    assert gate.reply("self_harm") == "Call or text 988."
    assert gate.reply("unknown") == "Call 911."


async def test_a_model_is_asked_only_in_the_band_below_a_threshold() -> None:
    model = ScriptedModel(
        steps=[text_response('{"emergency": true, "class": "medical_emergency"}')]
    )
    # the medical threshold is 0.6 (log-odds 0.41); 0.2 is 1.8 below, 0.5 is 0.41 below
    far_below = await _gate(0.2, 0.0, band=1.0).check("text", model=model)
    assert far_below.second_opinion is None
    assert not far_below.fired
    assert model.calls == []
    near = await _gate(0.5, 0.0, band=1.0).check("text", model=model)
    assert (near.fired, near.second_opinion, near.risk_class) == (
        True, "raised", "medical_emergency",
    )  # fmt: skip


async def test_the_model_cannot_remove_an_alarm_the_gate_raised() -> None:
    model = ScriptedModel(steps=[text_response('{"emergency": false}')])
    verdict = await _gate(0.9, 0.0).check("text", model=model)
    assert verdict.fired
    assert verdict.second_opinion is None
    assert model.calls == []  # not even asked


async def test_a_declined_or_failed_second_opinion_leaves_the_local_verdict() -> None:
    declined = await _gate(0.55, 0.0).check(
        "text", model=ScriptedModel(steps=[text_response('{"emergency": false, "class": ""}')])
    )
    assert (declined.fired, declined.second_opinion) == (False, "declined")

    def fail(messages: object, tools: object) -> object:
        raise ModelError("provider down", model="m")

    failed = await _gate(0.55, 0.0).check("text", model=FunctionModel(fail))  # type: ignore[arg-type]
    assert (failed.fired, failed.second_opinion) == (False, "failed")
    unusable = await _gate(0.55, 0.0).check(
        "text", model=ScriptedModel(steps=[text_response("I think so?")])
    )
    assert (unusable.fired, unusable.second_opinion) == (False, "failed")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            '{"emergency": true, "class": "self_harm", "evidence": "a plan"}',
            (True, "self_harm", "a plan"),
        ),
        ('Sure. {"emergency": false}', (False, "", "")),
        ('{"emergency": "yes"}', None),
        ("no json here", None),
        ("{not json}", None),
    ],
)
def test_parse_opinion(answer: str, expected: object) -> None:
    assert parse_opinion(answer) == expected


def test_a_verdict_round_trips_through_json() -> None:
    verdict = _gate(0.9, 0.0).screen("x")
    again = SafetyVerdict.from_json(verdict.to_json())
    assert again.to_json() == verdict.to_json()
    assert set(verdict.to_json()) >= {"fired", "class", "score", "evidence"}


def test_a_gate_needs_detectors_one_per_class_and_a_sane_band() -> None:
    with pytest.raises(ConfigError, match="at least one"):
        SafetyGate(detectors=[])
    twice = [FunctionDetector("a", lambda t: 0.0), FunctionDetector("a", lambda t: 0.0)]
    with pytest.raises(ConfigError, match="one detector per risk class"):
        SafetyGate(detectors=twice)
    with pytest.raises(ConfigError, match="band"):
        SafetyGate(detectors=[FunctionDetector("a", lambda t: 0.0)], band=-1.0)


def test_describe_names_the_class_score_and_evidence() -> None:
    text = _gate(0.0, 0.5).screen("x").describe()
    assert "self_harm" in text
    assert "0.50" in text
    assert "took all my pills" in text
    assert _gate(0.0, 0.0).screen("x").describe() == "the safety gate did not fire"
