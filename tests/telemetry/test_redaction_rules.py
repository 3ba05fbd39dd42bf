"""One case per redaction rule: what it catches, and a near miss it must leave alone (a drug, a
dose, a lab value, a weekday or month alone, an ordinary word after the same context)."""

from __future__ import annotations

import time

import pytest

from frontdesk.telemetry import Redactor

from .corpus import load_corpus

REDACTOR = Redactor()


def redact(text: str) -> str:
    return REDACTOR.redact(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # lower-case names after "this is", "it's", "its": only words that read as a name
        ("its tom again, can u call me back", "its [NAME] again, can u call me back"),
        ("this is maria calling about my bill", "this is [NAME] calling about my bill"),
        ("It's Tom again", "It's [NAME] again"),
        ("It's swollen again", "It's swollen again"),
        ("it's getting worse, what should I do", "it's getting worse, what should I do"),
        ("I'm diabetic and I'm worried.", "I'm diabetic and I'm worried."),
        ("It's Monday already", "It's Monday already"),
        ("This is Urgent!", "This is Urgent!"),
        # family roles, strong context: a lower-case name, but not the verb after the role
        ("my wife anna kowalski called", "my wife [NAME] called"),
        ("my daughter has a rash on her arm", "my daughter has a rash on her arm"),
        ("My son is sick with a fever", "My son is sick with a fever"),
        # "attention", "on behalf of"
        ("Fax it attention Gwendolyn Pierce", "Fax it attention [NAME]"),
        ("Send it attention Billing Department", "Send it attention Billing Department"),
        ("on behalf of Oyelaran Adebayo", "on behalf of [NAME]"),
        # two or more capitalised words after "for", "from", "with"
        ("Visit summary for Abdi Warsame", "Visit summary for [NAME]"),
        ("Book me for Internal Medicine on Tuesday", "Book me for Internal Medicine on Tuesday"),
        ("Referral for Atrial Fibrillation", "Referral for Atrial Fibrillation"),
        ("Physical Therapy for Rotator Cuff Tear", "Physical Therapy for Rotator Cuff Tear"),
        ("Can I get a refill for Eliquis 5 mg?", "Can I get a refill for Eliquis 5 mg?"),
        ("Can you tell Yusuf Demir his results are in", "Can you tell [NAME] his results are in"),
        ("Please call Internal Medicine", "Please call Internal Medicine"),
        # "... here", "... called"
        ("Good morning, Oyelaran Adebayo here.", "Good morning, [NAME] here."),
        ("Ok, same here.", "Ok, same here."),
        ("Yesterday Jean-Luc Moreau called", "Yesterday [NAME] called"),
        ("Blue Cross called about the claim", "Blue Cross called about the claim"),
        ("Gwen Stefani-Okoro wants to cancel", "[NAME] wants to cancel"),
        ("Main Campus wants a referral", "Main Campus wants a referral"),
        # titles: initials and surname, no line break crossed
        ("Attending: Dr. K. Osei, Internal Medicine", "Attending: Dr. [NAME], Internal Medicine"),
        ("Dear Dr Okafor,\n\nRe: anaemia", "Dear [NAME],\n\nRe: anaemia"),
        ("lives with husband. Never smoker", "lives with husband. Never smoker"),
        ("History of MS Treated with ocrelizumab", "History of MS Treated with ocrelizumab"),
        ("I don't want to miss Cardiology", "I don't want to miss Cardiology"),
        # name shapes: hyphen, apostrophe, particles, prefixes
        ("My wife Anna O'Neil-Smith needs a flu shot", "My wife [NAME] needs a flu shot"),
        ("Patient: Maria de la Cruz", "Patient: [NAME]"),
        ("Seen by Dr. Pieter van der Berg and Ms. al-Rashid", "Seen by Dr. [NAME] and Ms. [NAME]"),
        ("My husband's name is Tadeusz Wiśniewski", "My husband's name is [NAME]"),
        ("Dr. Ó Súilleabháin will see you", "Dr. [NAME] will see you"),
        ("attention, R94.4 abnormal", "attention, R94.4 abnormal"),
        # "Surname, Given" after a colon, but not clinical abbreviations or conditions
        ("Referred: Warsame, Abdi", "Referred: [NAME]"),
        ("PMH: HTN, BPH, hypothyroidism", "PMH: HTN, BPH, hypothyroidism"),
        ("Diagnoses: Hypertension, Diabetes", "Diagnoses: Hypertension, Diabetes"),
        # signatures at the end of a message, greetings
        ("please call back - tom", "please call back - [NAME]"),
        ("see you soon - thanks", "see you soon - thanks"),
        ("Thanks, Ann Lee", "Thanks, [NAME]"),
        ("Thanks for your help!", "Thanks for your help!"),
        ("Thanks so much,\nSvetlana", "Thanks so much,\n[NAME]"),
        ("Thanks so much,\nsee you", "Thanks so much,\nsee you"),
        ("Hi Gwendolyn, is my form ready?", "Hi [NAME], is my form ready?"),
        ("Hi Team, quick question", "Hi Team, quick question"),
    ],
)
def test_names(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a visit on the 4th of June 2024", "a visit on the [DATE]"),
        ("born the fourth of June", "born [DATE]"),
        ("dated September 17th", "dated [DATE]"),
        ("since march 3rd", "since [DATE]"),
        ("see you June the 4th", "see you [DATE]"),
        ("on Thursday the 5th at 3", "on [DATE] at 3"),
        ("see you June fourth", "see you [DATE]"),
        ("you may first call the pharmacy", "you may first call the pharmacy"),
        ("his March 2025 invoice", "his [DATE] invoice"),
        ("worse in March, better in May", "worse in March, better in May"),
        ("Lab draw scheduled Thu 12/5", "Lab draw scheduled [DATE]"),
        ("Can I come at 3pm on Monday?", "Can I come at 3pm on Monday?"),
        ("DOB: 7-4-85", "DOB: [DATE]"),
        ("born 1977/08/09 and 2024-06-04", "born [DATE] and [DATE]"),
        ("created 2024-03-15T10:30:00", "created [DATE]T10:30:00"),
        ("Date of visit: 10/14", "Date of visit: [DATE]"),
        ("Labs (drawn 10/10)", "Labs (drawn [DATE])"),
        ("Pain 6/10, BP 142/88, took 1/2 tablet", "Pain 6/10, BP 142/88, took 1/2 tablet"),
        ("I can come on 1/2 tab doses", "I can come on 1/2 tab doses"),
        ("See you on the 5th.", "See you [DATE]."),
        ("the 5th metatarsal is fractured", "the 5th metatarsal is fractured"),
        # a reference range is not a date (the separators differ)
        ("WBC 6.2 (4.0-11.0), RBC 3.71 (4.20-5.40)", "WBC 6.2 (4.0-11.0), RBC 3.71 (4.20-5.40)"),
    ],
)
def test_dates(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("his SSN ends in 4412", "his SSN ends in [SSN]"),
        ("last four of my social 1234", "last four of my social [SSN]"),
        ("ssn xxx-xx-1234 on file", "ssn [SSN] on file"),
        ("SSN last 4: 5678", "SSN last 4: [SSN]"),
        ("Social history: quit smoking in 2010", "Social history: quit smoking in 2010"),
        ("her social worker is in room 1234", "her social worker is in room 1234"),
    ],
)
def test_partial_ssns(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Send it to Apartment 12C, 300 West 57th Street", "Send it to [ADDRESS], [ADDRESS]"),
        ("I am in Apt 4B", "I am in [ADDRESS]"),
        ("Take 10 units of insulin", "Take 10 units of insulin"),
        ("write to P.O. Box 4471", "write to [ADDRESS]"),
        ("Minneapolis MN 55401", "[ADDRESS]"),
        ("Springfield, IL 62704", "[ADDRESS]"),
        ("Springfield, Illinois 62704", "[ADDRESS]"),
        ("my zip is 45402", "my zip is [ADDRESS]"),
        ("I moved to Ohio last year", "I moved to Ohio last year"),
        ("I paid 55401 dollars", "I paid 55401 dollars"),  # no state, no "zip": not a ZIP
    ],
)
def test_addresses(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 555-201-3344 x 12", "call [PHONE]"),
        ("(212) 555-0199, ext. 42", "[PHONE]"),
        ("call me at 867-5309", "call me at [PHONE]"),
        ("from +44 20 7946 0958 or +33 1 42 68 53 00", "from [PHONE] or [PHONE]"),
        ("glucose 140-210 at 7 am", "glucose 140-210 at 7 am"),
    ],
)
def test_phones(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("member ZGP 4471 2290", "member [ID]"),
        ("claim no. 2024-0917-55123", "claim no. [ID]"),
        ("prior auth PA-88123", "prior auth [ID]"),
        ("reference #AB12345", "reference #[ID]"),
        ("a group of 200 patients", "a group of 200 patients"),
        ("Rx 500 mg metformin", "Rx 500 mg metformin"),
        # reference ranges and LOINC codes are not ids
        ("Platelets 301 150-450, Na 138 135-145", "Platelets 301 150-450, Na 138 135-145"),
        ("LDL (LOINC 13457-7)", "LDL (LOINC 13457-7)"),
        # a code after its coding system's name is not an id; the same digits alone are
        ("SNOMED 44054006, RxNorm: 860975", "SNOMED 44054006, RxNorm: 860975"),
        ("NDC 0071-0155-23", "NDC 0071-0155-23"),
        ("I was charged 44054006", "I was charged [ID]"),
    ],
)
def test_ids(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Is metformin 500 mg twice daily safe with lisinopril 10 mg?",
        "I'm on Eliquis 5 mg and Lipitor 40 mg, is that ok?",
        "HbA1c 7.2 % and creatinine 1.4 mg/dL, ICD E11.9 and N18.3, LOINC 4548-4",
        "Glucophage 1000 mg twice daily; Jardiance 10 mg daily; carbidopa-levodopa 25/100",
        "I have had a cough for 3 days, worse at night, and a fever of 101",
        "Can I see Cardiology or Internal Medicine next Tuesday at 3pm?",
    ],
)
def test_clinical_messages_are_unchanged(text: str) -> None:
    assert redact(text) == text


def test_redaction_stays_fast() -> None:
    """Guards against an expression that backtracks badly: a large text of the shapes the
    recognisers look for, and long tokens (a base64 blob in a log line), in well under a
    second. (The whole phi_corpus.txt takes about 7.4 ms.)"""
    corpus = "\n".join(sample.text for sample in load_corpus())
    texts = [corpus * 4, "a" * 50_000, "12-" * 3_000, "Abc " * 5_000, "Dr. " + "A. " * 5_000]
    start = time.perf_counter()
    for text in texts:
        Redactor().redact(text)
    assert time.perf_counter() - start < 2.0
