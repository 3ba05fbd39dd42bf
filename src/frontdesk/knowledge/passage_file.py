"""An index's passages on disk: one JSON line each, read only when a hit needs one.

Opening a 30 MB corpus must not cost a replica a second at start-up, so `PassageFile.open`
reads just the line offsets (written beside the lines at build time) and memory-maps the file;
`passages[i]` parses line `i` on first use and keeps it.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import overload

import numpy as np
import numpy.typing as npt

from frontdesk.knowledge.sources import Passage


class PassageFile(Sequence[Passage]):
    """The passages of an index folder, as a read-only sequence."""

    def __init__(self, data: mmap.mmap, offsets: npt.NDArray[np.int64]) -> None:
        self._data = data
        self._offsets = offsets
        self._cache: dict[int, Passage] = {}

    @staticmethod
    def write(folder: Path, passages: Sequence[Passage]) -> None:
        offsets = [0]
        with (folder / "passages.jsonl").open("wb") as out:
            for passage in passages:
                line = json.dumps(passage.to_json(), ensure_ascii=False).encode() + b"\n"
                out.write(line)
                offsets.append(offsets[-1] + len(line))
        np.save(folder / "passage-offsets.npy", np.asarray(offsets, dtype=np.int64))

    @classmethod
    def open(cls, folder: Path) -> PassageFile:
        offsets = np.load(folder / "passage-offsets.npy")
        with (folder / "passages.jsonl").open("rb") as handle:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return cls(data, offsets)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> Passage: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Passage]: ...
    def __getitem__(self, index: int | slice) -> Passage | Sequence[Passage]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        found = self._cache.get(index)
        if found is None:
            start, end = int(self._offsets[index]), int(self._offsets[index + 1])
            found = Passage.from_json(json.loads(self._data[start:end]))
            self._cache[index] = found
        return found

    def __iter__(self) -> Iterator[Passage]:
        return (self[i] for i in range(len(self)))


__all__ = ["PassageFile"]
