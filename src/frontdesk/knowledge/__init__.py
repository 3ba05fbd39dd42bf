"""Knowledge a specialist answers from.

Two kinds:
- a curated `KnowledgeBase`: a few markdown sections, ranked in memory (`curated.py`);
- a `KnowledgeIndex`: a corpus such as MedQuAD ingested once by `frontdesk knowledge build`
  (`sources.py`), searched by hybrid retrieval with a calibrated "not covered" cut (`index.py`,
  `lexical.py`, `questions.py`), published atomically under the data directory (`store.py`) and
  measured against graded judgments (`evaluation.py`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from frontdesk.knowledge.curated import (
    Document,
    FirstCovered,
    Hit,
    KnowledgeBase,
    KnowledgeSource,
    best_sentences,
)

if TYPE_CHECKING:
    from frontdesk.knowledge.index import IndexedKnowledge, KnowledgeIndex, Ranker, SearchHit
    from frontdesk.knowledge.sources import IngestReport, Passage, read_source

# the index brings scipy; an app that never opens one should not pay for importing it
_LAZY = {
    "IndexedKnowledge": "index",
    "KnowledgeIndex": "index",
    "Ranker": "index",
    "SearchHit": "index",
    "IngestReport": "sources",
    "Passage": "sources",
    "read_source": "sources",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"frontdesk.knowledge.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'frontdesk.knowledge' has no attribute {name!r}")


_loaded: dict[Path, KnowledgeIndex] = {}
_lock = threading.Lock()


def open_index(name: str, *, data_dir: Path) -> KnowledgeIndex:
    """The current version of the index `name`, loaded once per process and version: after a
    rebuild, the next call loads the new version while earlier callers keep the old one."""
    from frontdesk.knowledge import store
    from frontdesk.knowledge.index import KnowledgeIndex

    folder = store.current(data_dir, name)
    with _lock:
        index = _loaded.get(folder)
        if index is None:
            index = KnowledgeIndex.load(folder)
            _loaded.clear()  # one version per process: an old one is dropped when unused
            _loaded[folder] = index
        return index


__all__ = [
    "Document",
    "FirstCovered",
    "Hit",
    "IndexedKnowledge",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeIndex",
    "KnowledgeSource",
    "Passage",
    "Ranker",
    "SearchHit",
    "best_sentences",
    "open_index",
    "read_source",
]
