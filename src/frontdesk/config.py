"""Configuration: an optional TOML file, overridden by environment variables.

The file is `$FRONTDESK_CONFIG`, else `./frontdesk.toml` if present. Keys mirror the environment
variables without the `FRONTDESK_` prefix, lower-cased (e.g. `model = "openai:gpt-4o-mini"`).
Validated with pydantic at this edge; a broken file is a `ConfigError` naming the file, the line
and the fix.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
import pydantic

from frontdesk.errors import ConfigError
from frontdesk.guards.budget import Budget
from frontdesk.models.pricing import PriceTable


class Settings(pydantic.BaseModel):
    """Every setting frontdesk reads, with its default."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    app: str = "clinic"
    data_dir: Path = Path(platformdirs.user_data_dir("frontdesk"))
    database_url: str | None = None
    redis_url: str | None = None
    model: str | None = None
    request_budget_usd: float | None = pydantic.Field(default=None, ge=0)
    """The most one request (a message and everything it sets off) may spend, in USD."""
    conversation_budget_usd: float | None = pydantic.Field(default=None, ge=0)
    """The most one conversation may spend over all its requests, in USD."""
    tenant_daily_budget_usd: float | None = pydantic.Field(default=None, ge=0)
    """The most one tenant may spend on one UTC day, in USD."""
    prices: Path | None = None
    """A TOML price table (docs/costs.md) merged over the bundled one: your models and prices."""
    max_steps: int = pydantic.Field(default=8, ge=1, le=100)
    max_message_chars: int = pydantic.Field(default=4000, ge=1)
    lease_ttl_s: float = pydantic.Field(default=30.0, gt=0, allow_inf_nan=False)
    """How long a conversation's lease outlives its holder's last renewal (a crashed process
    blocks its conversation at most this long)."""
    lease_wait_s: float = pydantic.Field(default=30.0, ge=0, allow_inf_nan=False)
    """How long a message waits for the one before it in its conversation before
    `ConversationBusy` (HTTP 409)."""
    knowledge_index: str | None = None
    """A knowledge index built with `frontdesk knowledge build` that the app's knowledge
    specialists answer from first (the clinic's medical specialist: NIH MedQuAD)."""
    traces: str = "off"
    capture_content: bool = False
    log_level: Literal["debug", "info", "warning", "error"] = "warning"

    def budget(self) -> Budget:
        """The app-wide `Budget` these settings describe."""
        return Budget(
            request_usd=self.request_budget_usd,
            conversation_usd=self.conversation_budget_usd,
            tenant_daily_usd=self.tenant_daily_budget_usd,
        )

    def price_table(self) -> PriceTable:
        """The bundled price table, with the `prices` file's entries taking precedence."""
        table = PriceTable.load_default()
        return table.merged(PriceTable.from_toml(self.prices)) if self.prices else table

    @property
    def store_url(self) -> str:
        """Where conversations live: the database URL, else SQLite in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'frontdesk.sqlite3'}"


ENV_PREFIX = "FRONTDESK_"


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Settings from the config file, then the environment, then `overrides` (e.g. CLI flags)."""
    values: dict[str, Any] = {}
    path = _config_path()
    if path is not None:
        values.update(_read_file(path))
    for name in Settings.model_fields:
        raw = os.environ.get(ENV_PREFIX + name.upper())
        if raw is not None and raw != "":
            values[name] = raw
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return Settings.model_validate(values)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        source = f" (config file {path})" if path else ""
        raise ConfigError(
            f"invalid configuration{source}: {problems}. Valid keys: "
            f"{', '.join(Settings.model_fields)}; environment variables are the keys in upper "
            f"case with the {ENV_PREFIX} prefix."
        ) from None


def _config_path() -> Path | None:
    explicit = os.environ.get("FRONTDESK_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(
                f"FRONTDESK_CONFIG points to {path}, which does not exist; create it or unset "
                f"the variable"
            )
        return path
    local = Path("frontdesk.toml")
    return local if local.is_file() else None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}. Fix that line, or point "
            f"FRONTDESK_CONFIG at another file"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    section = data.get("frontdesk", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {path}: [frontdesk] must be a table")
    return dict(section)
