"""One knowledge index built from the test corpus for the whole session (the encoder export
takes seconds), installed into a test's data directory on demand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from frontdesk.knowledge import store
from frontdesk.knowledge.index import KnowledgeIndex
from frontdesk.knowledge.sources import read_source

from .corpus import write_folder


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("knowledge")
    passages, _ = read_source(write_folder(root / "MedQuAD"))
    KnowledgeIndex.build("nih", passages).save(root / "index")
    return root / "index"


@pytest.fixture
def installed(built_index: Path, tmp_path: Path) -> Path:
    """The data directory of this test, with the index published as `nih`."""
    data_dir = tmp_path / "data"
    folder = store.new_version(data_dir, "nih")
    shutil.copytree(built_index, folder, dirs_exist_ok=True)
    store.publish(data_dir, "nih", folder)
    return data_dir
