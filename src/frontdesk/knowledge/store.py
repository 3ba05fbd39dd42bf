"""Where built indexes live and how a rebuild replaces one while it is being served.

An index named NAME lives in `<data dir>/knowledge/NAME/`: each build writes a new version
folder beside the old ones and then points the `current` link at it with one atomic rename, so
a reader opens either the old index or the new one, never half of either. A replica that has the
old one loaded keeps serving it (its files stay readable until it lets go); the last two versions
are kept and older ones removed.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from pathlib import Path

from frontdesk.errors import InvalidInput

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
KEEP_VERSIONS = 2


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(
            f"knowledge index name {name!r} is not valid: use up to 64 letters, digits, '.', "
            "'_' or '-', starting with a letter or digit"
        )
    return name


def index_home(data_dir: Path, name: str) -> Path:
    return data_dir / "knowledge" / check_name(name)


def new_version(data_dir: Path, name: str) -> Path:
    """A fresh, empty folder to build a version of `name` into."""
    home = index_home(data_dir, name)
    home.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    folder = home / f".building-{stamp}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    return folder


def publish(data_dir: Path, name: str, built: Path) -> Path:
    """Makes the fully written folder `built` the current version of `name`, atomically."""
    home = index_home(data_dir, name)
    final = home / built.name.removeprefix(".building-")
    built.rename(final)
    link = home / f".current-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(final.name)
    link.replace(home / "current")  # rename(2) over the old link: readers see old or new
    versions = sorted(p for p in home.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in versions[:-KEEP_VERSIONS]:
        if old != final:
            shutil.rmtree(old, ignore_errors=True)
    return final


def discard(built: Path) -> None:
    """Removes a version folder whose build failed; the current version is untouched."""
    shutil.rmtree(built, ignore_errors=True)


def current(data_dir: Path, name: str) -> Path:
    """The folder of the current version of `name`, or a clear error naming the command."""
    link = index_home(data_dir, name) / "current"
    if not link.exists():
        known = available(data_dir)
        hint = f" (built here: {', '.join(known)})" if known else ""
        raise InvalidInput(
            f"no knowledge index named {name!r} in {data_dir}{hint}: build it with "
            f"`frontdesk knowledge build SOURCE --name {name}`"
        )
    return link.resolve()


def available(data_dir: Path) -> list[str]:
    root = data_dir / "knowledge"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "current").exists())


__all__ = ["available", "check_name", "current", "discard", "index_home", "new_version", "publish"]
