"""`frontdesk keys create | list | revoke`, run as a user runs them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

FRONTDESK = str(Path(sys.executable).with_name("frontdesk"))


def frontdesk(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir),
        "FRONTDESK_DATA_DIR": str(data_dir),
    }
    return subprocess.run(
        [FRONTDESK, *args], capture_output=True, text=True, env=env, cwd=data_dir, timeout=120,
        check=False,
    )  # fmt: skip


def test_keys_are_shown_once_stored_hashed_listed_and_revoked(tmp_path: Path) -> None:
    created = frontdesk("keys", "create", "--role", "operator", "--name", "sam", data_dir=tmp_path)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("fd_")
    assert len(secret) >= 40
    assert "shown once" in created.stderr

    listed = frontdesk("keys", "list", "--json", data_dir=tmp_path)
    assert listed.returncode == 0, listed.stderr
    (key,) = json.loads(listed.stdout)["items"]
    assert key["name"] == "sam"
    assert key["role"] == "operator"
    assert key["revoked_at"] is None
    assert secret not in listed.stdout
    assert hashlib.sha256(secret.encode()).hexdigest() not in listed.stdout

    # the store holds the hash, never the key
    database = b"".join(p.read_bytes() for p in tmp_path.glob("frontdesk.sqlite3*"))
    assert secret.encode() not in database
    assert hashlib.sha256(secret.encode()).hexdigest().encode() in database

    revoked = frontdesk("keys", "revoke", key["id"], data_dir=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    (after,) = json.loads(frontdesk("keys", "list", "--json", data_dir=tmp_path).stdout)["items"]
    assert after["revoked_at"] is not None
    again = frontdesk("keys", "revoke", key["id"], data_dir=tmp_path)
    assert again.returncode == 2
    assert "no active key" in again.stderr


def test_an_unknown_role_is_refused_with_the_valid_ones(tmp_path: Path) -> None:
    done = frontdesk("keys", "create", "--role", "boss", data_dir=tmp_path)
    assert done.returncode == 2
    assert "use one of client, operator, admin" in done.stderr
    assert done.stdout == ""
