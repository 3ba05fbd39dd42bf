"""A knowledge index from your own documents: build it, search it, and let a specialist answer
from it with citations, falling back to "not covered" when nothing relevant exists.

Run: python examples/knowledge_index.py  (offline; it works in a temporary folder)
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from frontdesk.knowledge import IndexedKnowledge, open_index, read_source
from frontdesk.knowledge.index import KnowledgeIndex
from frontdesk.knowledge.store import new_version, publish

GUIDES = [
    {"id": "travel-vaccines", "title": "Which vaccines do I need before travelling?",
     "url": "https://example.org/travel/vaccines",
     "text": "Most travellers need routine vaccines up to date. Depending on the country, "
             "hepatitis A, typhoid and yellow fever vaccines may be recommended. Book a travel "
             "visit four to six weeks before you leave."},
    {"id": "jet-lag", "title": "How can I reduce jet lag?",
     "url": "https://example.org/travel/jet-lag",
     "text": "Shift your sleep an hour a day toward the new time zone before you travel, get "
             "daylight in the morning after flying east, and avoid alcohol on the plane."},
    {"id": "altitude", "title": "What is altitude sickness?",
     "url": "https://example.org/travel/altitude",
     "text": "Altitude sickness causes headache, nausea and poor sleep above about 2,500 "
             "metres. Climb slowly, rest on the way up, and go down if symptoms get worse."},
]  # fmt: skip


def main() -> None:
    data_dir = Path(tempfile.mkdtemp())
    source = data_dir / "guides.jsonl"
    source.write_text("\n".join(json.dumps(g) for g in GUIDES) + "\n")

    # what `frontdesk knowledge build guides.jsonl --name travel` does
    passages, report = read_source(source)
    print(report.summary())
    folder = new_version(data_dir, "travel")
    KnowledgeIndex.build("travel", passages).save(folder)
    publish(data_dir, "travel", folder)

    index = open_index("travel", data_dir=data_dir)
    for question in ("which vaccines do I need before travelling to Ghana", "best hotel in Lima"):
        hits = index.search(question, k=2)
        verdict = "covered" if index.covered(hits) else "not covered"
        print(f"{question!r}: {verdict}; best {hits[0].passage.doc_id} ({hits[0].score:.2f})")

    # a specialist's knowledge: only passages that clear the "not covered" cut, with their URL
    knowledge = IndexedKnowledge(index=index)
    for hit in knowledge.search("how do I avoid jet lag flying to Tokyo"):
        print(f"cite: {hit.document.title} {hit.document.url}")


if __name__ == "__main__":
    main()
