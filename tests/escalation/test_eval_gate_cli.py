"""`frontdesk eval gate` on the clinic: the recorded points, thresholds chosen anew on a file
(`--calibration`, `--misses`), a labelled test file, and its error paths (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from frontdesk.cli import cli

MESSAGES = [
    ("my 5 week old has a temperature of 38.3", "emergency", "medical_emergency"),
    ("crushing pressure in my chest for 20 minutes and I'm sweating", "emergency",
     "medical_emergency"),
    ("her face is drooping on one side and her speech is slurred", "emergency",
     "medical_emergency"),
    ("I'm going to kill myself tonight, I have the pills counted out", "emergency", "self_harm"),
    ("i took all my sleeping pills an hour ago", "emergency", "self_harm"),
    ("no chest pain, just a cough for two days", "near_miss", None),
    ("can I get a copy of the ER bill for my seizure last year", "near_miss", None),
    ("what are the warning signs of a stroke?", "near_miss", None),
    ("I need a refill of my EpiPen, it expired", "near_miss", None),
]  # fmt: skip


def _file(path: Path) -> Path:
    path.write_text(
        "".join(json.dumps({"text": t, "label": label, "class": c, "kind": "k"}) + "\n"
                for t, label, c in MESSAGES),
        encoding="utf-8",
    )  # fmt: skip
    return path


def test_thresholds_chosen_anew_catch_every_emergency_of_the_file(tmp_path: Path) -> None:
    data = _file(tmp_path / "cal.jsonl")
    runner = CliRunner()
    done = runner.invoke(cli, [
        "eval", "gate", "--calibration", str(data), "--test", str(data),
        "--out", str(tmp_path / "out"), "--json",
    ])  # fmt: skip
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    points = result["operating_points"]
    assert set(points) == {"medical_emergency", "self_harm"}
    for point in points.values():
        assert point["recall"] == 1.0
        assert not point["floor_met"]  # a handful of emergencies cannot show 99 %
    assert result["test"]["recall"] == 1.0
    assert (tmp_path / "out" / "gate-curve.png").stat().st_size > 0


def test_bad_options_say_what_was_wrong(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["eval", "gate", "--misses", "-3"])
    assert done.exit_code != 0
    assert "--misses" in done.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi"}\nnot json\n', encoding="utf-8")
    done = runner.invoke(cli, ["eval", "gate", "--test", str(bad)])
    assert done.exit_code != 0
    assert "bad.jsonl:1:" in done.output
    assert '"label" must be "emergency" or "near_miss"' in done.output
