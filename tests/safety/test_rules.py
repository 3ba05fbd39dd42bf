"""The clinic's red-flag rules: each fires on what guidance calls an emergency, and stays quiet
on the near miss that shares its words (denied, over, a question, paperwork, someone else's
history, a figure of speech). Messages written for these tests; the triage corpus measures."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.apps.clinic.safety import RULES_FILE, clinic_red_flags
from frontdesk.errors import ConfigError
from frontdesk.safety.rules import RuleSet, _fever, _infant_under_3_months

FIRES = [
    ("infant_fever", "my 6 week old is 38.4 tonight but feeding ok"),
    ("infant_fever", "newborn feels hot, thermometer says 100.8"),
    (
        "button_battery_or_magnets",
        "I think my son swallowed the button battery from the remote, he seems totally fine",
    ),
    ("button_battery_or_magnets", "she ate two of those magnetic balls from the desk toy"),
    (
        "head_knock_on_blood_thinner",
        "Mum is on Eliquis and hit her head on the shelf, she says she's fine",
    ),
    ("fever_on_chemotherapy", "day 9 after chemo and my temp is 38.2"),
    ("stroke_signs", "his face went droopy on one side for ten minutes, it went away now"),
    ("stroke_signs", "suddenly my words came out all jumbled"),
    ("after_adrenaline", "used his epipen 20 minutes ago and he's breathing fine now"),
    ("reduced_fetal_movement", "34 weeks pregnant and baby hasn't moved much since yesterday"),
    ("bleeding_after_surgery", "tonsils out 6 days ago and now she's spitting blood"),
    ("testicular_pain", "sudden awful pain in my left testicle, it's swollen"),
    ("self_harm_intent", "I'm going to kill myself tonight"),
    ("self_harm_intent", "i took all my sleeping pills"),
    ("not_breathing_or_unresponsive", "he's not breathing properly and his lips are blue"),
    ("chest_pain_now", "crushing pressure in my chest for 20 minutes"),
    ("chest_pain_now", "i think im having a heart attack"),
    (
        "child_dehydration",
        "Toddler (14 months), no wet diaper since last night, crying with no tears",
    ),
    ("self_harm_intent", "she said she's taken all her antidepressants and wants to be left alone"),
    ("self_harm_intent", "my husband's got his gun out and said he won't be a burden anymore"),
    ("self_harm_intent", "just want to sleep and not wake up"),
    ("self_harm_intent", "unalive plan is set for tonight"),
    ("infant_fever", "2.5 month old, 38.0 rectally, no other symptoms"),
    ("overdose_or_poisoning", "had most of the box of sleeping pills with wine"),
    ("overdose_or_poisoning", "took a few too many of my sleeping tabs by accident, woozy"),
    ("child_into_medicines", "3yo got into my iron tablets thinking they were sweets"),
    ("testicular_pain", "ache in my testicle on and off for weeks, but now it's suddenly agony"),
    (
        "chest_pain_now",
        "My mother 67 years have pain in chest since one hour, like something press",
    ),
    ("serious_burn", "Burned my hand on the oven rack. The middle is white and leathery."),
    ("serious_burn", "found with a large blistered burn on the back of both legs"),
    ("overdose_or_poisoning", "Dad has taken the whole week's pill organiser in one go"),
    ("overdose_or_poisoning", "she took a whole bunch of tylenol yesterday for a toothache"),
    ("amputation_or_heavy_bleeding", "his finger is partly cut off with the saw, hanging by skin"),
    ("amputation_or_heavy_bleeding", "the cut is bleeding through the towel and won't stop"),
    ("maternal_warning_signs", "2 weeks after my C-section. My left calf is swollen and red"),
    ("maternal_warning_signs", "32 weeks pregnant, worst headache and my vision is blurry"),
    ("meningitis_signs", "fever and purple spots on her legs, they did NOT fade under a glass"),
    ("head_knock_on_blood_thinner", "on warfarin, fell overnight, a bruise on her forehead"),
    ("threat_to_kill_now", "he says he's going to kill me and he's parked outside my work"),
    ("infant_green_vomit_or_bulging_soft_spot", "My 3 week old threw up bright green twice"),
    ("infant_green_vomit_or_bulging_soft_spot", "the soft spot on my baby's head is bulging"),
    ("told_to_go_to_emergency", "the lab called, potassium 7.2, said he should go to the ER"),
    ("diabetic_altered_consciousness", "on insulin and very drowsy, not making any sense"),
    ("armed_threat", "He say he will kill me and the children. He have a knife."),
    ("thoughts_of_harming_others", "thoughts about hurting my roommate, I bought a knife"),
    ("chest_pain_now", "am i having a heart attack?? my left arm is numb"),
    ("seizure_now", "first seizure ever this morning, she's confused"),
    ("overdose_or_poisoning", "my toddler drank bleach"),
    ("serious_burn", "grabbed the pan handle, the burn on my palm is white and doesn't even hurt"),
    ("armed_threat", "my neighbour keeps saying he'll get back at us and he has a rifle"),
    ("tearing_pain", "sudden pain between my shoulder blades, my back feels like something ripped"),
    ("serious_burn", "some oven cleaner splashed onto her arm and it's gone red and shiny"),
    ("after_adrenaline", "we jabbed our daughter with her auvi-q at school and she perked up"),
    ("not_breathing_or_unresponsive", "can't get my breath even lying still, it came on suddenly"),
    ("anaphylaxis_signs", "ate a shrimp and my throat is closing"),
    ("meningitis_signs", "fever and a rash that doesn't fade under a glass"),
    ("cauda_equina", "back pain and now my groin is numb and I can't pee"),
    ("tearing_pain", "a sudden tearing pain through my chest into my back"),
    ("floppy_or_hard_to_wake_child", "my baby is floppy and hard to wake"),
    ("child_breathing_effort", "the skin between his ribs sucks in with every breath"),
    ("asthma_not_responding", "inhaler isn't helping at all, can't finish a sentence"),
    ("venomous_bite", "got bitten by a rattlesnake on the trail"),
    ("chemical_in_eye_or_sudden_vision_loss", "bleach splashed in my eye"),
    ("vomiting_or_coughing_blood", "he threw up blood twice and is dizzy"),
    ("heat_stroke", "collapsed at the race in the heat and is not making sense"),
    ("carbon_monoxide", "the whole family has headaches and feels sick since the boiler came on"),
    ("electrical_injury", "my toddler bit through the charger cord, a burn on his lip"),
    ("thoughts_of_harming_others", "a voice keeps telling me to hurt my baby"),
]

QUIET = [
    "my 8 month old vomited twice but has had 4 wet nappies since lunch and is playing",
    "my son got into medical school!",
    "had a few too many beers last night lol",
    "my 15 month old has a fever of 38.5",
    "I've noticed a small painless lump on my testicle for a month",
    "Does the clinic do seizure first aid training for daycare staff?",
    "Goodbye from me, I'm moving to Oregon next month. Where do I send the records release?",
    "my son got sick after eating green jello",
    "my daughter is confused about her insulin doses",
    "my doctor said I don't need to go to the ER",
    "sore spot on my chest that hurts when I press it, moved a couch yesterday",
    "Season finale of our show had a guy get his finger cut off, is ice right?",
    "Had an allergic reaction on Saturday, went to A&E, they gave me adrenaline, all good now",
    "I thought I was having a heart attack last week but it was just anxiety",
    "I'm scared of having a heart attack like my father did",
    "no chest pain, just a cough",
    "my dad had a stroke in 2019, he needs a refill",
    "what are the warning signs of a stroke?",
    "what temperature counts as a fever in a newborn?",
    "this bill is killing me",
    "can I get a copy of the ER bill for my seizure last year",
    "my grandmother had a heart attack at 60, should I be screened",
    "I need a refill of my EpiPen, it expired",
    "stuffy nose, I can't breathe through my nose at night",
    "saw on the news that a toddler swallowed a button battery",
    "my 2 year old has a fever of 101 but is playing normally",
    "I'm not on blood thinners, just bumped my head on a cupboard",
    "I self-harmed as a teenager but I've been fine for years",
    "the hold music made me want to end it all haha",
    "seizure free for three years, need my Keppra refilled",
    "how do I use an epipen trainer for my camp kids?",
    "in my book the hero gets struck by lightning, what burns are realistic",
    "the chest tightness I mentioned last time hasn't come back at all",
    "where should we put the carbon monoxide detector near the boiler?",
    "my smile isn't crooked and my arms are fine, just a tension headache",
    "his testicles are not painful or swollen, just a small lump we'd like checked",
    "had seizures as a small child, the DMV form asks about them",
    "at what temperature should we worry about a fever in a baby? ours is due in May",
    "say I'm on Xarelto and I bang my head on a door, do I need the ER?",
    "chest muscles sore and hurts when I press on them after the gym",
    "can't catch my breath after running for the bus, fine after a minute",
    "a sunburn that blistered, it's itchy now",
    "my son plays a game where you shoot everyone, is that bad for a 9 year old",
    "my ex texted that I'll regret leaving, no weapons or anything, just upset",
    "at what temperature should I worry with a newborn?",
    "laughed so hard at the wedding I thought I'd stop breathing, anyway can I book a smear",
    "cancel Tuesday please, it was for the chest pain I had in the summer, all sorted",
    "my daughter wrote a story where the hero gets struck by lightning, is that realistic",
]


@pytest.mark.parametrize(("rule", "text"), FIRES)
def test_the_rule_fires(rule: str, text: str) -> None:
    assert rule in {h.rule.id for h in clinic_red_flags().hits(text)}


@pytest.mark.parametrize("text", QUIET)
def test_no_rule_fires_on_the_near_miss(text: str) -> None:
    assert [h.rule.id for h in clinic_red_flags().hits(text)] == []


def test_every_rule_has_a_test_that_fires_it() -> None:
    assert {r.id for r in clinic_red_flags().rules} == {rule for rule, _ in FIRES}


def test_a_hit_quotes_the_words_and_keeps_its_class() -> None:
    (hit,) = clinic_red_flags().hits("I want to kill myself")
    assert hit.rule.risk_class == "self_harm"
    assert hit.words.lower() == "i want to kill myself"
    assert clinic_red_flags().hits("I want to kill myself", "medical_emergency") == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("temp 39 C", ["39 C"]),
        ("8 week old, 38.6, fussy", ["38.6"]),
        ("101.1 rectal", ["101.1"]),
        ("weighs 38.5 kg", []),
        ("pulse 120, bp 101/60", []),
        ("38 weeks pregnant", []),
        ("she's burning up", ["burning up"]),
    ],
)
def test_a_fever_is_a_word_or_a_temperature_of_at_least_38_c(text: str, found: list[str]) -> None:
    assert [text[a:b].strip() for a, b in _fever(text)] == found


@pytest.mark.parametrize(
    ("text", "under"),
    [("my 6 week old", True), ("a 10-day-old", True), ("2 months old", True),
     ("newborn", True), ("5 months", False), ("my 2 year old and her brother", False),
     ("a day at the park", False)],
)  # fmt: skip
def test_under_three_months(text: str, under: bool) -> None:
    assert bool(list(_infant_under_3_months(text))) is under


def test_a_bad_rules_file_is_a_clear_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rule]]\nid = "x"\nclass = "medical_emergency"\nall = ["(unclosed"]\n')
    with pytest.raises(ConfigError, match="bad pattern"):
        RuleSet.load(bad)
    bad.write_text('[[rule]]\nid = "x"\nclass = "c"\nall = ["@nope"]\n')
    with pytest.raises(ConfigError, match="unknown built-in '@nope'"):
        RuleSet.load(bad)
    bad.write_text('[[rule]]\nid = "x"\nall = ["a"]\n')
    with pytest.raises(ConfigError, match="needs `class` and `all`"):
        RuleSet.load(bad)
    assert RuleSet.load(RULES_FILE).version


def test_every_rule_belongs_to_a_class_the_clinic_gate_checks() -> None:
    from frontdesk.apps.clinic.safety import RISK_CLASSES

    assert {r.risk_class for r in clinic_red_flags().rules} <= set(RISK_CLASSES)


@pytest.mark.parametrize(
    "text",
    [
        "goodbye. thank you for everything, doctor",
        "I'm on the roof of my building now and I just want to say sorry",
        "is it bad to take all of my sleeping pills at once tonight?",
        "I won't bother you again",
    ],
)
def test_warning_signs_988_lists_fire_for_self_harm(text: str) -> None:
    assert "self_harm_intent" in {h.rule.id for h in clinic_red_flags().hits(text)}


@pytest.mark.parametrize(
    "text",
    [
        "goodbye for now, see you at my next appointment",
        "thanks for everything today, see you next week",
        "our office moved to the bridge street location",
    ],
)
def test_a_farewell_with_a_next_visit_is_not_one(text: str) -> None:
    assert clinic_red_flags().hits(text, "self_harm") == []


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("help me i took pills", True),
        ("I took my pills this morning with breakfast", False),
        ("I took pills for my headache, is that ok with ibuprofen", False),
        ("can I take all 60 of the amitriptyline at once?", True),
        ("i cut my arm on purpose and it won't close", True),
        ("I want everyone to know nobody is to blame", True),
        ("took about 15 ibuprofen since this morning, a couple at a time", True),
        ("she had twenty of her iron tablets while I was in the shower", True),
        ("I took 20 mg of paracetamol", False),
        ("I took 12 days of antibiotics for the infection", False),
        ("the pharmacy gave me 30 tablets for the month", False),
    ],
)
def test_pills_purpose_and_blame(text: str, fires: bool) -> None:
    assert bool(clinic_red_flags().hits(text)) is fires
