"""Reading knowledge sources: MedQuAD as shipped, generic files, and damaged input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frontdesk.errors import InvalidInput
from frontdesk.knowledge.sources import MAX_PASSAGE_CHARS, read_source, source_kind

from .corpus import TOPICS, write_archive, write_folder


def test_medquad_folder_gives_qrels_ids_and_joins_the_graded_answers(tmp_path: Path) -> None:
    passages, report = read_source(write_folder(tmp_path / "MedQuAD"))
    by_id = {p.doc_id: p for p in passages}
    gout = by_id["GARD_0000001_Sec2"]
    assert gout.title == "What causes Gout ?"
    assert gout.qtype == "causes"
    assert gout.focus == "Gout"
    assert gout.source_url == "https://example.nih.gov/gout"
    assert gout.synonyms == ("Gout disorder",)
    # the answer MedQuAD removed comes from the graded answers' CSV, with the XML's metadata
    stones = by_id["ADAM_0000042_Sec1"]
    assert stones.text.startswith("A kidney stone is a hard mass")
    assert stones.qtype == "information"
    assert stones.focus == "Kidney stones"
    # NINDS's lower-case schema is read too
    assert by_id["NINDS_0000007_Sec1"].title == "what is tremor ?"
    expected = sum(len(s) for s in TOPICS.values()) + 2
    assert len(passages) == report.kept == expected


def test_damaged_records_are_skipped_and_counted(tmp_path: Path) -> None:
    passages, report = read_source(write_folder(tmp_path / "MedQuAD"))
    assert report.skipped["malformed XML"] == 1
    assert report.skipped["empty answer"] == 1
    assert report.skipped["no answer text (removed from MedQuAD for copyright)"] == 1
    assert report.skipped["duplicate of another passage (kept as an alias)"] == 1
    gout = next(p for p in passages if p.doc_id == "GARD_0000001_Sec1")
    assert gout.aliases == ("GARD_0000901_Sec1",)
    text = report.summary()
    assert "kept" in text
    assert "Skipped 1: malformed XML (e.g. 2_GARD_QA/0000900.xml" in text


def test_the_archive_as_shipped_reads_like_the_folder(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "MedQuAD")
    archive = write_archive(folder, tmp_path / "MedQuAD.tar.gz")
    from_folder, _ = read_source(folder)
    from_archive, report = read_source(archive)
    assert [p.to_json() for p in from_archive] == [p.to_json() for p in from_folder]
    assert report.kind == "medquad"


def test_a_truncated_archive_is_a_clear_error(tmp_path: Path) -> None:
    archive = write_archive(write_folder(tmp_path / "MedQuAD"), tmp_path / "MedQuAD.tar.gz")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(archive.read_bytes()[:200])
    with pytest.raises(InvalidInput, match=r"not a readable \.tar\.gz"):
        read_source(broken)


def test_jsonl_keeps_good_lines_and_counts_bad_ones(tmp_path: Path) -> None:
    source = tmp_path / "docs.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "title": "Parking", "text": "Park in lot B.", "url": "u"}),
                "{not json",
                json.dumps(["a list"]),
                json.dumps({"id": "b", "text": ""}),
                json.dumps({"text": "No id here, so the line number names it."}),
                json.dumps({"id": "c", "text": "x" * (MAX_PASSAGE_CHARS + 1)}),
                json.dumps({"id": "a", "text": "Same id again."}),
            ]
        )
    )
    passages, report = read_source(source)
    assert [p.doc_id for p in passages] == ["a", "docs:5"]
    assert passages[0].source_url == "u"
    assert passages[0].title == "Parking"
    assert dict(report.skipped) == {
        "line is not JSON": 1,
        "line is not a JSON object": 1,
        "no text": 1,
        "text too long": 1,
        "duplicate id": 1,
    }


def test_markdown_and_text_folders_become_titled_chunks(tmp_path: Path) -> None:
    folder = tmp_path / "guides"
    folder.mkdir()
    (folder / "visits.md").write_text("## Before a visit\nBring your card.\n\n## After\nRest.\n")
    (folder / "long.txt").write_text(
        "\n\n".join(f"Paragraph {i} " + "word " * 100 for i in range(8))
    )
    (folder / "photo.png").write_bytes(b"\x89PNG")
    (folder / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    passages, report = read_source(folder)
    ids = [p.doc_id for p in passages]
    assert "visits#1" in ids
    assert "visits#2" in ids
    assert sum(i.startswith("long#1") for i in ids) >= 3  # split at paragraph breaks
    assert all(len(p.text) <= 1_600 for p in passages)
    assert report.skipped["not a text, markdown or JSONL file"] == 1
    assert report.skipped["not UTF-8"] == 1


def test_a_50_mb_file_is_read_without_trouble(tmp_path: Path) -> None:
    source = tmp_path / "big.jsonl"
    line = json.dumps({"text": "Handwashing prevents infections. " * 30}) + "\n"
    with source.open("w") as out:
        for number in range(50 * 1024 * 1024 // len(line) + 1):
            out.write(line.replace("Handwashing", f"Handwashing {number}"))
    assert source.stat().st_size >= 50 * 1024 * 1024
    passages, report = read_source(source)
    assert len(passages) == report.kept > 40_000


def test_unknown_and_missing_sources_say_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        read_source(tmp_path / "nope")
    odd = tmp_path / "data.parquet"
    odd.write_bytes(b"PAR1")
    with pytest.raises(InvalidInput, match="can't tell what kind"):
        source_kind(odd)


def test_a_broken_zip_inside_the_corpus_is_counted_and_a_broken_source_zip_is_an_error(
    tmp_path: Path,
) -> None:
    folder = write_folder(tmp_path / "MedQuAD")
    (folder / "extra.zip").write_bytes(b"PK\x03\x04 not really a zip")
    passages, report = read_source(folder)
    assert report.skipped["not a readable zip"] == 1
    assert len(passages) == 13
    broken = tmp_path / "MedQuAD.zip"
    broken.write_bytes(b"not a zip")
    with pytest.raises(InvalidInput, match=r"not a readable \.zip archive"):
        read_source(broken)
