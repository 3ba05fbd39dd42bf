"""`frontdesk serve` as a real process on SQLite: kill -9 it mid-conversation and restart it, and
nothing acknowledged is lost (messages, the ticket, its claim); SIGTERM shuts it down cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from .harness import seed_router_cache, sse_events

FRONTDESK = str(Path(sys.executable).with_name("frontdesk"))
pytestmark = pytest.mark.slow


def _environment(data_dir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir),
        "FRONTDESK_DATA_DIR": str(data_dir),
        "FRONTDESK_LEASE_TTL_S": "5",  # a killed server holds its conversations 5 s at most
    }


def _create_key(data_dir: Path, role: str) -> dict[str, Any]:
    done = subprocess.run(
        [FRONTDESK, "keys", "create", "--role", role, "--name", f"{role}-1", "--json"],
        capture_output=True, text=True, env=_environment(data_dir), cwd=data_dir, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    created: dict[str, Any] = json.loads(done.stdout)
    return created


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Served:
    """A `frontdesk serve` process."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (data_dir / f"serve-{self.port}.log").open("w")
        self.process = subprocess.Popen(
            [FRONTDESK, "serve", "--port", str(self.port)],
            env={**_environment(data_dir), **(env or {})}, cwd=data_dir, stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            assert self.process.poll() is None, self.output()
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "frontdesk serve did not become ready"
            time.sleep(0.2)

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        self.log.close()


@pytest.fixture
def data_dir(tmp_path: Path, router_cache: Path) -> Path:
    seed_router_cache(router_cache, tmp_path)
    return tmp_path


async def test_kill_9_mid_conversation_loses_nothing(data_dir: Path) -> None:
    client, operator = _create_key(data_dir, "client"), _create_key(data_dir, "operator")
    user_h = {"Authorization": f"Bearer {client['key']}"}
    op_h = {"Authorization": f"Bearer {operator['key']}"}
    conversation = f"crash-{uuid.uuid4().hex[:8]}"
    path = f"/v1/conversations/{conversation}"
    first = Served(data_dir)
    try:
        async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
            opened = await http.post(
                f"{path}/messages", json={"text": "I want to talk to a real person"}, headers=user_h
            )
            assert opened.status_code == 200, opened.text + first.output()
            ticket_id = opened.json()["escalation_id"]
            other = await http.post(
                "/v1/conversations/crash-other/messages", json={"text": "I need a human"},
                headers=user_h,
            )  # fmt: skip
            assert (await http.post(f"/v1/escalations/{ticket_id}/claim", headers=op_h)).is_success
            replied = await http.post(
                f"/v1/escalations/{ticket_id}/reply", json={"text": "Hi, Sam here."}, headers=op_h
            )
            assert replied.status_code == 200, replied.text
            said = await http.post(
                f"{path}/messages", json={"text": "my name is Ann"}, headers=user_h
            )
            assert said.status_code == 200, said.text
            before = (await http.get(path, headers=user_h)).json()["messages"]
            # one more message in flight when the process dies
            in_flight = asyncio.ensure_future(
                http.post(f"{path}/messages", json={"text": "hello?"}, headers=user_h)
            )
            await asyncio.sleep(0.01)
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(30)
            try:
                acknowledged = (await in_flight).status_code == 200
            except httpx.TransportError:
                acknowledged = False
    finally:
        first.stop()

    second = Served(data_dir)
    try:
        async with httpx.AsyncClient(base_url=second.url, timeout=60) as http:
            after = (await http.get(path, headers=user_h)).json()
            messages = after["messages"]
            assert messages[: len(before)] == before  # every acknowledged message, unchanged
            if acknowledged:
                assert "hello?" in [m["text"] for m in messages]
            ticket = (await http.get(f"/v1/escalations/{ticket_id}", headers=op_h)).json()
            assert ticket["status"] == "claimed"
            assert ticket["claimed_by"] == operator["id"]
            queue = (await http.get("/v1/escalations?status=open", headers=op_h)).json()
            assert other.json()["escalation_id"] in [t["id"] for t in queue["items"]]
            # the claim still works: the operator carries on, the user too (the dead server's
            # lease expires), and the hand-back reaches the bot with the history intact
            again = await http.post(
                f"/v1/escalations/{ticket_id}/reply", json={"text": "Still here, Ann."},
                headers=op_h,
            )  # fmt: skip
            assert again.status_code == 200, again.text
            resolved = await http.post(
                f"/v1/escalations/{ticket_id}/resolve", json={"resume_bot": True}, headers=op_h
            )
            assert resolved.status_code == 200, resolved.text
            bot = await http.post(
                f"{path}/messages", json={"text": "what are your hours on Saturday?"},
                headers=user_h,
            )  # fmt: skip
            assert bot.status_code == 200, bot.text
            assert bot.json()["action"] == "answer"
            final = [m["text"] for m in (await http.get(path, headers=user_h)).json()["messages"]]
            assert final[: len(before)] == [m["text"] for m in before]
            assert "Still here, Ann." in final
            assert final[-1] == bot.json()["reply"]

            # SIGTERM: the open event stream ends cleanly and the process exits (uvicorn
            # re-raises the signal once its graceful shutdown is done, hence -SIGTERM)
            events = sse_events(http, "/v1/escalations/stream", headers=op_h)
            assert (await anext(events))[0] == "ready"
            second.process.send_signal(signal.SIGTERM)
            rest = [e async for e in events]
            assert rest == []
            assert second.process.wait(30) in (0, -signal.SIGTERM), second.output()
            assert "Traceback" not in second.output()
    finally:
        second.stop()
