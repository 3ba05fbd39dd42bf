"""Hybrid search over a built index: ranking, "not covered", the shipped query encoder, and
publishing a rebuild while the old version is being read."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from frontdesk.embeddings import default_embedder
from frontdesk.errors import InvalidInput
from frontdesk.knowledge import (
    Document,
    FirstCovered,
    Hit,
    IndexedKnowledge,
    KnowledgeSource,
    open_index,
    store,
)
from frontdesk.knowledge.encoder import OnnxEncoder
from frontdesk.knowledge.index import METHODS, KnowledgeIndex
from frontdesk.knowledge.questions import Speller, asks_logistics, question_types


@pytest.fixture(scope="module")
def index(built_index: Path) -> KnowledgeIndex:
    return KnowledgeIndex.load(built_index)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what sets off my gout attacks", "GARD_0000001_Sec2"),  # causes, in other words
        ("how do you treat shingles", "GARD_0000004_Sec3"),
        ("my son has marrow kessler syndrome, will my next baby get it too?", "GARD_0000003_Sec2"),
        ("what is tremor", "NINDS_0000007_Sec1"),
    ],
)
def test_final_ranking_puts_the_answer_first_and_covers_it(
    index: KnowledgeIndex, question: str, expected: str
) -> None:
    hits = index.search(question, k=3)
    assert hits[0].passage.doc_id == expected
    assert index.covered(hits)
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].score > hits[1].score


@pytest.mark.parametrize(
    "question",
    ["how much does a gym membership cost", "whats the best pizza in town",
     "Does insurance cover the shingles vaccine at CVS?"],
)  # fmt: skip
def test_questions_the_corpus_does_not_answer_are_not_covered(
    index: KnowledgeIndex, question: str
) -> None:
    assert not index.covered(index.search(question, k=3))


def test_every_method_ranks_and_bad_arguments_are_clear(index: KnowledgeIndex) -> None:
    for method in METHODS:
        assert index.search("gout treatment", k=2, method=method)
    assert index.search("   ", k=2) == []
    with pytest.raises(InvalidInput, match="k must be at least 1"):
        index.search("gout", k=0)


def test_the_shipped_query_encoder_matches_the_passage_encoder(index: KnowledgeIndex) -> None:
    assert isinstance(index.embedder, OnnxEncoder)
    sentences = [
        "what sets off my gout attacks",
        "My father is 79 and has had COPD for ten years; does oxygen at home help him live longer?",
        "is eczema contagious",
    ]
    fast = index.embedder.embed(sentences)
    full = default_embedder().embed(sentences)
    assert np.min(np.sum(fast * full, axis=1)) >= 0.98


def test_the_speller_fixes_typos_but_not_english_or_stems() -> None:
    speller = Speller.from_vocabulary(
        [("metformin", 5), ("warfarin", 4), ("grandmother", 9), ("hyperthyroid", 3),
         ("hypothyroidism", 6), ("osteoporosis", 80), ("osteopetrosis", 3)],
        english=["grandfather"],
    )  # fmt: skip
    known = {"metformin", "warfarin"}.__contains__
    assert speller.correct("metforman side effects", known) == "metformin side effects"
    assert speller.correct("I take warfrin", known) == "I take warfarin"
    assert speller.correct("my grandfather", known) == "my grandfather"
    assert speller.correct("hypothyroid and pregnancy", known) == "hypothyroid and pregnancy"
    assert speller.correct("osteoperosis", known) == "osteoporosis"  # the more frequent word


def test_question_types_and_logistics() -> None:
    assert "causes" in question_types("why do I keep getting gout flares")
    assert {"information", "treatment"} <= question_types("what is shingles and how is it treated")
    assert question_types("shingles") == {"information"}
    assert asks_logistics("does medicare cover the shingles shot")
    assert asks_logistics("my dog has diabetes, what should he eat")
    assert not asks_logistics("my arms are covered in an itchy rash")


def test_indexed_knowledge_returns_only_covered_passages_with_their_source(
    index: KnowledgeIndex,
) -> None:
    knowledge = IndexedKnowledge(index=index)
    hits = knowledge.search("what sets off my gout attacks")
    assert hits[0].document.id == "GARD_0000001_Sec2"
    assert hits[0].document.url == "https://example.nih.gov/gout"
    assert knowledge.search("how much does a gym membership cost") == []  # nothing close
    (closest,) = knowledge.search("can shingles come back a second time?")
    assert closest.covered is False
    assert closest.document.id == "GARD_0000004_Sec1"


def test_first_covered_prefers_covered_hits_then_the_first_closest_passage() -> None:
    def source(name: str, *hits: Hit) -> KnowledgeSource:
        class Fixed:
            def __init__(self) -> None:
                self.name = name

            def search(self, query: str, *, k: int = 3) -> list[Hit]:
                return list(hits)

        return Fixed()

    def hit(doc: str, *, covered: bool) -> Hit:
        return Hit(document=Document(id=doc, title=doc, text=doc), score=0.5, covered=covered)

    near = source("index", hit("near", covered=False))
    curated = source("curated", hit("guide", covered=True))
    empty = source("empty")
    assert [h.document.id for h in FirstCovered(sources=(near, curated)).search("q")] == ["guide"]
    assert [h.document.id for h in FirstCovered(sources=(near, empty)).search("q")] == ["near"]
    assert FirstCovered(sources=(empty, empty)).search("q") == []


def test_a_rebuild_is_published_atomically_and_readers_keep_their_version(
    installed: Path, built_index: Path
) -> None:
    first = open_index("nih", data_dir=installed)
    assert open_index("nih", data_dir=installed) is first  # loaded once per version
    old_folder = store.current(installed, "nih")
    folder = store.new_version(installed, "nih")
    shutil.copytree(built_index, folder, dirs_exist_ok=True)
    (folder / "manifest.json").write_text(
        (folder / "manifest.json").read_text().replace('"name": "nih"', '"name": "nih-2"')
    )
    store.publish(installed, "nih", folder)
    second = open_index("nih", data_dir=installed)
    assert second is not first
    assert second.name == "nih-2"
    assert store.current(installed, "nih") != old_folder
    # the old version's reader still answers from its files
    assert first.search("what is tremor", k=1)[0].passage.doc_id == "NINDS_0000007_Sec1"


def test_a_missing_index_names_the_command_that_builds_it(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="frontdesk knowledge build SOURCE --name medquad"):
        open_index("medquad", data_dir=tmp_path)
    with pytest.raises(InvalidInput, match="is not valid"):
        store.check_name("../etc")
