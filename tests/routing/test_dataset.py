"""Labelled JSONL loading: every problem is named with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.errors import InvalidInput
from frontdesk.routing.dataset import Labelled, check_known_labels, check_training, load_jsonl


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_loads_and_skips_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, '{"text": "hi", "label": "greet"}\n\n{"text": "x", "label": "oos"}\n')
    assert load_jsonl(path) == [Labelled(text="hi", label="greet"), Labelled(text="x", label="oos")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "a", "label": "b"}\n{"text": "a", "label": \n', r"data.jsonl:2: not valid JSON"),
        ('["a", "b"]\n', r"data.jsonl:1: expected an object"),
        ('{"text": "", "label": "b"}\n', r'data.jsonl:1: "text" must be a non-empty string'),
        ('{"text": "a"}\n', r'data.jsonl:1: "label" must be a non-empty string'),
        ("\n\n", "holds no labelled examples"),
    ],
)
def test_bad_records_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load_jsonl(write(tmp_path, content))


def test_binary_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not UTF-8"):
        load_jsonl(write(tmp_path, b"\xff\xfe\x00junk"))
    with pytest.raises(InvalidInput, match="cannot read"):
        load_jsonl(tmp_path / "missing.jsonl")


def test_one_class_is_not_enough() -> None:
    items = [Labelled(text="a", label="x"), Labelled(text="b", label="oos")]
    with pytest.raises(InvalidInput, match="at least two labels besides 'oos'"):
        check_training(items)


def test_unknown_test_labels_are_listed() -> None:
    items = [Labelled(text="a", label="x"), Labelled(text="b", label="zz"),
             Labelled(text="c", label="oos")]  # fmt: skip
    with pytest.raises(InvalidInput, match=r"'zz' \(1\)"):
        check_known_labels(items, {"x", "y"})
