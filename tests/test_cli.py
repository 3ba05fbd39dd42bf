"""The command line, run as a user runs it: a real `frontdesk` process per call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from priced import INPUT_USD_PER_M, OUTPUT_USD_PER_M, write_price_file

FRONTDESK = str(Path(sys.executable).with_name("frontdesk"))
REPLY_FIELDS = {
    "conversation_id", "reply", "agent", "category", "confidence", "action", "escalation_id",
    "trace_id", "usage", "cost_usd", "latency_ms", "stop_reason", "error",
}  # fmt: skip


def frontdesk(
    *args: str, data_dir: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir),
        "FRONTDESK_DATA_DIR": str(data_dir),
        **(env or {}),
    }
    return subprocess.run(
        [FRONTDESK, *args], input=stdin, capture_output=True, text=True, timeout=300,
        env=environment, cwd=data_dir, check=False,
    )  # fmt: skip


def test_chat_json_fills_every_reply_field(tmp_path: Path) -> None:
    done = frontdesk(
        "chat", "--app", "clinic", "--json", "I was charged twice for my visit last week",
        data_dir=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert set(reply) == REPLY_FIELDS
    assert reply["agent"] == "billing"
    assert reply["category"] == "billing"
    assert reply["action"] == "answer"
    assert reply["stop_reason"] == "completed"
    assert reply["confidence"] > 0.5
    assert "duplicate" in reply["reply"].lower()
    assert reply["usage"] == {"input_tokens": 0, "output_tokens": 0}  # offline: no model tokens
    assert reply["cost_usd"] == 0.0
    assert reply["latency_ms"] > 0
    assert len(reply["trace_id"]) == 32
    assert reply["conversation_id"].startswith("cli-")
    assert reply["error"] is None


def test_a_model_the_provider_does_not_know_is_named_in_a_warning(tmp_path: Path) -> None:
    from frontdesk.testing import Fault, ModelServer

    with ModelServer() as server:
        server.enqueue(Fault.status(404, message="The model `gpt-nope` does not exist"))
        done = frontdesk(
            "chat", "--json", "what are your hours on saturday", data_dir=tmp_path,
            env={"FRONTDESK_MODEL": "openai:gpt-nope", "OPENAI_BASE_URL": server.base_url,
                 "FRONTDESK_PRICES": str(write_price_file(tmp_path, "gpt-nope"))},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["stop_reason"] == "provider_unavailable"
    assert "404" in reply["error"]
    assert "openai:gpt-nope" in done.stderr
    assert "check FRONTDESK_MODEL" in done.stderr


def test_chat_json_reports_what_a_priced_model_cost(tmp_path: Path) -> None:
    from frontdesk.testing import ModelServer, Reply

    with ModelServer() as server:
        server.responder = lambda body: Reply(text="We open at 9 on Saturdays.", output_tokens=8)
        env = {"FRONTDESK_MODEL": "openai:test-model", "OPENAI_BASE_URL": server.base_url,
               "FRONTDESK_PRICES": str(write_price_file(tmp_path))}  # fmt: skip
        done = frontdesk("chat", "--json", "what are your hours on saturday", data_dir=tmp_path,
                         env=env)  # fmt: skip
        answered = len(server.requests)
        tight = frontdesk("chat", "--json", "what are your hours on saturday", data_dir=tmp_path,
                          env={**env, "FRONTDESK_REQUEST_BUDGET_USD": "0.000001"})  # fmt: skip
        assert len(server.requests) == answered  # the refused call was never sent
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["stop_reason"] == "completed"
    assert reply["reply"] == "We open at 9 on Saturdays."
    assert reply["usage"]["output_tokens"] == 8 * answered
    assert reply["cost_usd"] > 0
    assert reply["cost_usd"] == pytest.approx(
        (reply["usage"]["input_tokens"] * INPUT_USD_PER_M + 8 * answered * OUTPUT_USD_PER_M) / 1e6,
        abs=1e-6,
    )
    assert tight.returncode == 0, tight.stderr
    refused = json.loads(tight.stdout)
    assert (refused["stop_reason"], refused["cost_usd"]) == ("budget_exceeded", 0.0)
    assert refused["action"] == "escalate"
    assert "FRONTDESK_REQUEST_BUDGET_USD" in tight.stderr


def test_an_unpriced_model_is_refused_at_start_with_the_fix(tmp_path: Path) -> None:
    done = frontdesk("chat", "--json", "hello", data_dir=tmp_path,
                     env={"FRONTDESK_MODEL": "openai:gpt-nope"})  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert "no price for openai:gpt-nope" in done.stderr
    assert "FRONTDESK_PRICES" in done.stderr


def test_a_conversation_continues_in_a_new_process(tmp_path: Path) -> None:
    first = frontdesk("chat", "--json", "--conversation", "c-42", "I have a question",
                      data_dir=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["action"] == "clarify"
    second = frontdesk("chat", "--json", "--conversation", "c-42",
                       "booking an appointment with Dr. Patel", data_dir=tmp_path)  # fmt: skip
    assert second.returncode == 0, second.stderr
    reply = json.loads(second.stdout)
    assert reply["agent"] == "scheduling"
    log = frontdesk("decisions", "--conversation", "c-42", "--json", data_dir=tmp_path)
    items = json.loads(log.stdout)["items"]
    assert [i["action"] for i in items] == ["clarify", "answer"]
    assert all(i["router_version"].startswith("embedding-lr/") for i in items)


def test_route_jsonl_reports_bad_lines_with_their_number(tmp_path: Path) -> None:
    stdin = '{"text": "can I pay my bill in installments"}\nnot json\n{"txt": "x"}\n'
    done = frontdesk("route", "--jsonl", data_dir=tmp_path, stdin=stdin)
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["category"] == "billing"
    assert {"category", "confidence", "action", "alternatives"} <= set(lines[0])
    assert lines[1]["line"] == 2
    assert lines[2]["line"] == 3
    assert "line 2" in done.stderr


@pytest.mark.parametrize(
    ("args", "env", "config", "expected"),
    [
        (["chat", ""], {}, None, "the message is empty"),
        (["chat", "   "], {}, None, "the message is empty"),
        (["chat", "x" * 5000], {}, None, "over the limit of 4000"),
        (["chat", "--conversation", "no spaces!", "hi"], {}, None, "invalid conversation id"),
        (["chat", "hi"], {"FRONTDESK_MODEL": "gpt-4o"}, None, "not of the form 'provider:model'"),
        (["chat", "hi"], {"FRONTDESK_MODEL": "acme:big-1"}, None, "unknown model provider 'acme'"),
        (["chat", "hi"], {"FRONTDESK_MAX_STEPS": "zero"}, None, "max_steps"),
        (["chat", "hi"], {}, "model = 'openai:gpt-4o-mini\n", "not valid TOML"),
        (["chat", "hi"], {}, "modle = 'openai:gpt-4o-mini'\n", "modle"),
        (["chat", "--app", "nosuch", "hi"], {}, None, "unknown app 'nosuch'"),
        (["route"], {}, None, "route --jsonl"),
    ],
)
def test_user_errors_are_one_clear_line_without_a_traceback(
    tmp_path: Path, args: list[str], env: dict[str, str], config: str | None, expected: str
) -> None:
    if config is not None:
        (tmp_path / "frontdesk.toml").write_text(config)
    done = frontdesk(*args, data_dir=tmp_path, env=env)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr.replace("\n", " ")
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_refused_message_loses_nothing_already_stored(tmp_path: Path) -> None:
    ok = frontdesk("chat", "--json", "--conversation", "keep", "what are your hours on saturday",
                   data_dir=tmp_path)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    refused = frontdesk("chat", "--conversation", "keep", "  ", data_dir=tmp_path)
    assert refused.returncode == 2
    log = frontdesk("decisions", "--conversation", "keep", "--json", data_dir=tmp_path)
    assert len(json.loads(log.stdout)["items"]) == 1


@pytest.mark.parametrize("command", [[], ["chat"], ["route"], ["decisions"]])
def test_help(tmp_path: Path, command: list[str]) -> None:
    done = frontdesk(*command, "--help", data_dir=tmp_path)
    assert done.returncode == 0
    assert "Usage" in done.stdout
