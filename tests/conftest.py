"""Suite-wide rules: no real model requests, no inherited configuration, a private data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

import frontdesk.models

ENV_VARS = (
    "FRONTDESK_MODEL",
    "FRONTDESK_DATABASE_URL",
    "FRONTDESK_REDIS_URL",
    "FRONTDESK_CONFIG",
    "FRONTDESK_TRACES",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(frontdesk.models, "ALLOW_MODEL_REQUESTS", False)
