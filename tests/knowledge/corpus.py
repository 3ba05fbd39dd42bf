"""A small MedQuAD-shaped corpus written for these tests (no MedQuAD text): XML documents in
both of MedQuAD's schemas, a LiveQA-style zip with graded answers' CSV and qrels, and the
damaged records ingestion must count and skip."""

from __future__ import annotations

import csv
import io
import tarfile
import zipfile
from pathlib import Path

TOPICS: dict[str, dict[str, str]] = {
    "Gout": {
        "information": "Gout is a form of arthritis in which uric acid crystals build up in a "
        "joint, most often the big toe, causing sudden attacks of pain, redness and swelling.",
        "causes": "Gout is caused by too much uric acid in the blood. Red meat, seafood, beer, "
        "sugary drinks, some water pills and kidney disease raise uric acid and can set off a "
        "flare.",
        "treatment": "Flares are treated with anti-inflammatory medicines such as NSAIDs, "
        "colchicine or steroids. Medicines that lower uric acid, such as allopurinol, prevent "
        "new attacks.",
    },
    "Asthma": {
        "information": "Asthma is a long-term disease of the airways. The airways swell and "
        "narrow, which causes wheezing, coughing, chest tightness and shortness of breath.",
        "treatment": "Asthma is treated with two kinds of medicine: quick-relief inhalers for "
        "attacks and long-term control medicines, such as inhaled corticosteroids, taken every "
        "day.",
        "prevention": "You can prevent asthma attacks by avoiding triggers such as smoke, dust "
        "mites, pollen and cold air, and by taking control medicines as prescribed.",
    },
    "Marrow-Kessler syndrome": {
        "information": "Marrow-Kessler syndrome is a very rare inherited condition that affects "
        "the growth of the long bones and the lens of the eye.",
        "inheritance": "Marrow-Kessler syndrome is inherited in an autosomal recessive pattern: "
        "both copies of the gene in each cell have mutations, and each parent carries one copy.",
    },
    "Shingles": {
        "information": "Shingles is a painful rash caused by the chickenpox virus waking up "
        "again years after chickenpox.",
        "prevention": "A shingles vaccine is recommended for adults aged 50 and older and lowers "
        "the chance of shingles and of nerve pain afterwards.",
        "treatment": "Antiviral medicines such as acyclovir or valacyclovir, started early, "
        "shorten an attack of shingles; pain medicines ease the pain.",
    },
}
QUESTION = {
    "information": "What is (are) {} ?",
    "causes": "What causes {} ?",
    "treatment": "What are the treatments for {} ?",
    "prevention": "How to prevent {} ?",
    "inheritance": "Is {} inherited ?",
}


def document(number: int, focus: str, sections: dict[str, str], source: str = "GARD") -> str:
    pairs = "".join(
        f'<QAPair pid="{pid}"><Question qid="{number:07d}-{pid}" qtype="{qtype}">'
        f"{QUESTION[qtype].format(focus)}</Question><Answer>{text}</Answer></QAPair>"
        for pid, (qtype, text) in enumerate(sections.items(), 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document id="{number:07d}" source="{source}" '
        f'url="https://example.nih.gov/{focus.lower().replace(" ", "-")}"><Focus>{focus}</Focus>'
        f"<FocusAnnotations><Synonyms><Synonym>{focus} disorder</Synonym></Synonyms>"
        f"</FocusAnnotations><QAPairs>{pairs}</QAPairs></Document>"
    )


NINDS_STYLE = (
    '<?xml version="1.0" encoding="UTF-8"?><doc docid="0000007" corpus="NINDS" '
    'url="https://example.nih.gov/holmes"><doctitle-focus>Tremor</doctitle-focus><qaPairs>'
    '<pair pid="1"><question qid="0000007-1" qtype="information">what is tremor ?</question>'
    "<answer>Tremor is an unintentional, rhythmic shaking of part of the body, most often the "
    "hands.</answer></pair></qaPairs></doc>"
)
REMOVED = (  # an A.D.A.M.-style document whose answer text lives only in the graded CSV
    '<?xml version="1.0" encoding="UTF-8"?><Document id="0000042" source="ADAM" '
    'url="https://example.nih.gov/ency/kidney-stones"><Focus>Kidney stones</Focus><QAPairs>'
    '<QAPair pid="1"><Question qid="0000042-1" qtype="information">What is (are) Kidney stones '
    "?</Question><Answer></Answer></QAPair>"
    '<QAPair pid="2"><Question qid="0000042-2" qtype="treatment">What are the treatments for '
    "Kidney stones ?</Question><Answer></Answer></QAPair></QAPairs></Document>"
)
GRADED_ANSWER = (
    "Question: What is (are) Kidney stones ? (Also called: Renal calculi; Nephrolithiasis)\n"
    "URL: https://example.nih.gov/ency/kidney-stones\n"
    "Answer: A kidney stone is a hard mass of crystals that forms in the kidney and can cause "
    "severe pain in the side and back when it moves.\n"
)
QRELS = "1 4-Excellent GARD_0000001_Sec3.txt\n1 2-Related GARD_0000001_Sec1.txt\n"


def write_folder(root: Path, *, damaged: bool = True) -> Path:
    """The corpus as MedQuAD's folder layout; `damaged` adds records that must be skipped."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / "2_GARD_QA"
    folder.mkdir(exist_ok=True)
    for number, (focus, sections) in enumerate(TOPICS.items(), 1):
        (folder / f"{number:07d}.xml").write_text(document(number, focus, sections))
    (root / "6_NINDS_QA").mkdir(exist_ok=True)
    (root / "6_NINDS_QA" / "0000007.xml").write_text(NINDS_STYLE)
    (root / "10_MPlus_ADAM_QA").mkdir(exist_ok=True)
    (root / "10_MPlus_ADAM_QA" / "0000042.xml").write_text(REMOVED)
    if damaged:
        (folder / "0000900.xml").write_text("<Document id='0000900' source='GARD'><Focus>Bro")
        # the same answer under a second id (MedQuAD repeats some) and an empty answer
        (folder / "0000901.xml").write_text(
            document(901, "Gout", {"information": TOPICS["Gout"]["information"]})
        )
        (folder / "0000902.xml").write_text(document(902, "Nothing", {"information": ""}))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["AnswerID", "Answer"])
    writer.writerow(["ADAM_0000042_Sec1.txt", GRADED_ANSWER])
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr(
            "QA-TestSet/All-2479-Answers-retrieved-from-MedQuAD.csv", buffer.getvalue()
        )
        archive.writestr("QA-TestSet/All-qrels_LiveQAMed2017-TestQuestions.txt", QRELS)
    (root / "QA-TestSet-LiveQA-Med-Qrels-2479-Answers.zip").write_bytes(data.getvalue())
    return root


def write_archive(folder: Path, target: Path) -> Path:
    """The folder packed as MedQuAD ships it (`MedQuAD/...` inside a .tar.gz)."""
    with tarfile.open(target, "w:gz") as archive:
        archive.add(folder, arcname="MedQuAD")
    return target
