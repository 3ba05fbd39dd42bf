"""The Riverside Clinic `medical_query` specialist: general, conservative health information
(symptoms, when to seek care, over-the-counter label guidance, vaccines, what common numbers
mean, screening, mental health resources), answered from `knowledge/medical.md`.

It never diagnoses and never gives personal dosing: its answers pass the `no_personal_dosing`
guardrail (a block falls back to `SAFE_REPLY` and escalates to staff) and `not_a_diagnosis`,
which adds the disclaimer line. Offline, it answers from the knowledge base and puts an
emergency warning first when the question describes a red-flag symptom.
"""

from __future__ import annotations

from frontdesk.agents import Specialist
from frontdesk.apps.clinic.general import KNOWLEDGE_DIR, MAIN_LINE, NURSE_LINE, knowledge_planner
from frontdesk.apps.clinic.guardrails import DISCLAIMER, MEDICAL_OUTPUT_GUARDRAILS, prompt_injection
from frontdesk.apps.clinic.routes import is_emergency, mentions_self_harm
from frontdesk.apps.clinic.safety import clinic_red_flags
from frontdesk.knowledge import FirstCovered, KnowledgeBase, KnowledgeSource
from frontdesk.models.base import Model
from frontdesk.offline import OfflineModel
from frontdesk.tools import ToolContext

INSTRUCTIONS = f"""\
You are Riverside Clinic's health information assistant. You give general, educational health
information from the clinic's reviewed guidance. You are not a clinician and this is not a visit.

Rules:
1. Call search_knowledge first and base your answer on the passages it returns; when a passage
   has a url, cite it (title and url) so the person can read the source. If they do not
   cover the question, say so honestly and suggest booking a visit (Riverside MyChart or
   {MAIN_LINE}) or calling the 24-hour nurse advice line {NURSE_LINE}. Do not fill gaps from
   memory.
2. Never diagnose. Do not tell the person which condition they have or do not have; explain what
   is generally true and when and where to get care.
3. Never give personal dosing: no amounts, timings or dose changes for this person or their child
   (not even "the usual dose"), and never advise starting, stopping, doubling or changing a
   prescription medicine. Say to follow the package label and ask a pharmacist or clinician.
4. Red flags come first. If the message describes a possible emergency (chest pain or pressure,
   trouble breathing, stroke signs, fainting or unresponsiveness, severe bleeding, a severe
   allergic reaction, a seizure, an overdose or poisoning, severe burns, choking), begin by
   telling them to call 911 now. For thoughts of suicide or self-harm, give 988 (call or text)
   and 911 first, with warmth.
5. For pregnancy, breastfeeding, babies under 3 months, and possible medicine interactions, give
   only the general guidance and urge them to talk with their clinician or pharmacist.
6. Be warm, plain and brief: under about 150 words, no jargon, no speculation.
7. End every answer with this line: "{DISCLAIMER}"
"""

NOT_COVERED = (
    "I don't have guidance on that in the clinic's health information, so I can't answer it "
    "safely here. A clinician can: book a visit in Riverside MyChart or call "
    f"{MAIN_LINE}, and for symptoms that worry you today, call our 24-hour nurse advice line at "
    f"{NURSE_LINE}."
)

EMERGENCY_FIRST = (
    "If this is happening now, call 911 or go to the nearest emergency room right away; don't "
    "drive yourself."
)

CRISIS_FIRST = (
    "If you are thinking about suicide or harming yourself, please reach out now: call or text "
    "988 (Suicide and Crisis Lifeline, any time), or call 911 if you are in immediate danger. "
    "You don't have to go through this alone."
)

SAFE_REPLY = (
    "I'm sorry, I can't help with that here: I can't give personal medical or dosing advice, so "
    "I've passed your message to our care team. For how much of a medicine to use, follow the "
    "package label or ask a pharmacist or your clinician; you can also call our 24-hour nurse "
    f"advice line at {NURSE_LINE}. If this is an emergency, call 911 now; for a mental health "
    "crisis, call or text 988."
)

EXAMPLES: tuple[str, ...] = (
    "I've had a fever of 101 since last night, what should I do?",
    "how can I tell if it's a cold or the flu",
    "is 99.8 considered a fever",
    "my 2 month old feels warm and the thermometer says 100.5",
    "what helps a sore throat",
    "when is a headache something to worry about",
    "lower back pain after lifting boxes, how long does that usually last",
    "weird red rash on my legs that itches",
    "stomach bug, cant keep anything down, how do i avoid getting dehydrated",
    "burning when I pee, do I need antibiotics?",
    "signs of a uti",
    "my allergies are terrible this spring, what over the counter options are there",
    "how much tylenol is too much in a day",
    "can I take advil if I have high blood pressure",
    "is it ok to use ibuprofen and tylenol together",
    "what's the daily limit for acetaminophen on the label",
    "I missed a dose of my antibiotic, what now?",
    "when should I get my flu shot this year",
    "who should get the covid vaccine this season",
    "how often do I need a tetanus booster",
    "stepped on a rusty nail, do I need a tetanus shot",
    "my blood pressure reading was 142/91, is that high",
    "what is a normal a1c",
    "fasting sugar 118 meaning?",
    "is a total cholesterol of 240 bad",
    "what does it mean if my white blood cell count is a little high",
    "one of my lab results is flagged slightly low, should I worry",
    "what screenings should I have at 50",
    "when should I start colon cancer screening",
    "I've been feeling really down and anxious lately, where can I get help",
    "is there a crisis line number for mental health",
    "im pregnant, is tylenol safe for headaches",
    "can I get a flu shot while pregnant",
    "what's good for a dry cough at night",
    "how do I know if a cut needs stitches",
    "best way to treat a small burn from the oven",
    "sprained my ankle playing basketball, ice or heat?",
    "my kid has an ear ache after a cold",
    "does the flu vaccine make you sick",
    "whats the differnce between hdl and ldl",
    "hay fever meds that dont make you sleepy",
    "cn i giv my toddler honey for a cough",
    "diarrhea for 3 days now, when should i see a doctor",
    "is it normal to get a low fever after vaccines",
    "how long is the flu contagious",
    "do I need to fast before a cholesterol test",
    "can antibiotics help with a cold",
    "my back has hurt for two months, should I get it checked",
    "LDL of 165, is that high?",
    "my hemoglobin a1c result was 7.2, what does that number tell me",
)


def medical_knowledge() -> KnowledgeBase:
    """The general health guidance knowledge base (`knowledge/medical.md`)."""
    return KnowledgeBase.from_markdown("clinic-medical", KNOWLEDGE_DIR / "medical.md")


def _red_flag_first(question: str) -> str | None:
    """The line an offline answer starts with when the question describes a red flag: defence
    in depth behind the safety gate, so it errs the other way and also answers a mere mention
    (any red-flag word, or a red-flag rule of the gate that fires)."""
    hits = clinic_red_flags().hits(question)
    if mentions_self_harm(question) or any(h.rule.risk_class == "self_harm" for h in hits):
        return CRISIS_FIRST
    return EMERGENCY_FIRST if hits or is_emergency(question) else None


def medical_specialist(index: KnowledgeSource | None = None) -> Specialist:
    """The `medical_query` specialist: general health guidance, never a diagnosis or a dose.
    With `index` (a built knowledge index, e.g. NIH MedQuAD), it answers from that corpus and
    cites its sources, and falls back to the clinic's own guidance when the index has nothing
    relevant."""
    curated = medical_knowledge()
    knowledge: KnowledgeSource = curated
    if index is not None:
        knowledge = FirstCovered(sources=(index, curated), name=f"{index.name}+clinic-medical")
    planner = knowledge_planner(
        knowledge, not_covered=NOT_COVERED, preface=_red_flag_first, vocabulary_from=curated
    )

    def offline(ctx: ToolContext) -> Model:
        return OfflineModel(planner, name="offline-medical_query")

    return Specialist(
        name="medical_query",
        description=(
            "General health questions that are not emergencies: symptoms and when to seek care, "
            "over-the-counter medicine label guidance, vaccines, what blood pressure, sugar, "
            "cholesterol and lab numbers generally mean, screening, mental health resources."
        ),
        instructions=INSTRUCTIONS,
        knowledge=knowledge,
        examples=EXAMPLES,
        input_guardrails=(prompt_injection,),
        output_guardrails=MEDICAL_OUTPUT_GUARDRAILS,
        offline=offline,
        safe_reply=SAFE_REPLY,
        escalate_on_block=True,
    )


__all__ = ["EXAMPLES", "INSTRUCTIONS", "medical_knowledge", "medical_specialist"]
