"""The price table: what a model call costs in USD, from a versioned, dated TOML file.

    table = PriceTable.load_default()                       # the bundled prices.toml
    table = table.merged(PriceTable.from_toml("my.toml"))   # your models and contract prices
    table.cost("openai:gpt-4o-mini", response.usage)        # USD
    table.worst_case("openai:gpt-4o-mini", input_tokens=2_000, max_output_tokens=1024)

Prices are USD per 1 million tokens: `input`, `cached_input` (a prompt-cache read) and `output`.
A model may have several entries with `effective` dates; the newest one not after the request's
date applies. A model id matches an entry by its exact name or alias, or as a dated snapshot of
it: `gpt-4o-mini-2024-07-18` and `claude-sonnet-4-5-20250929` match `gpt-4o-mini` and
`claude-sonnet-4-5` (a trailing `-YYYY-MM-DD`, `-YYYYMMDD` or `-latest` is dropped). Any other
name is unknown, on purpose: `o3-pro` or `gpt-5-pro` priced as `o3` or `gpt-5` would be
under-charged tenfold.

An unknown model is never priced at $0: it raises `UnknownPrice`, or, when the table has an
`unknown_ceiling`, it is charged that ceiling. Only the `free_providers` (the in-process test
doubles and offline models by default) cost nothing.

    ConfigError (frontdesk.errors)
    └── UnknownPrice    no price for a model id on a date, and no ceiling for unknown models
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from frontdesk.errors import ConfigError
from frontdesk.messages import Usage

TOKENS_PER_UNIT = 1_000_000
"""Prices are per this many tokens."""

FREE_PROVIDERS: frozenset[str] = frozenset({"function", "scripted", "offline", "local"})
"""Providers whose calls cost nothing: the test doubles (`function:`, `scripted:`), the offline
planners (`offline:`) and in-process models such as the local embedding router (`local:`)."""

_SNAPSHOT_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$")
_DEFAULT_FILE = "prices.toml"


class UnknownPrice(ConfigError):
    """The price table has no price for a model (on the date asked) and no ceiling for unknown
    models. `model` is the id that was looked up."""

    def __init__(self, message: str, *, model: str) -> None:
        super().__init__(message)
        self.model = model


@dataclass(kw_only=True, slots=True, frozen=True)
class Price:
    """USD per 1 million tokens for one model from one date.

    `cached_input` is the price of a prompt-cache read (None: the `input` price). `model` is the
    `provider:model` id of the entry, `effective` the first day it applies (None: always) and
    `source` where the price came from. In a table's answer, `model` is the entry that matched.
    """

    input: float
    output: float
    cached_input: float | None = None
    model: str = ""
    effective: date | None = None
    source: str = ""

    def __post_init__(self) -> None:
        for field in ("input", "output", "cached_input"):
            value = getattr(self, field)
            if field == "cached_input" and value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ConfigError(
                    f"price of {self.model or 'a model'}: {field} must be a number of USD per "
                    f"1M tokens, >= 0, got {value!r}"
                )

    @property
    def cached_rate(self) -> float:
        """USD per 1M cached input tokens."""
        return self.input if self.cached_input is None else self.cached_input

    def cost(self, usage: Usage) -> float:
        """USD for `usage`. `usage.input_tokens` counts every prompt token, cached ones included
        (as both adapters report it); `cached_input_tokens` of them are charged the cached rate."""
        cached = max(0, usage.cached_input_tokens)
        uncached = max(0, usage.input_tokens - cached)
        units = (
            uncached * self.input + cached * self.cached_rate + usage.output_tokens * self.output
        )
        return units / TOKENS_PER_UNIT

    def worst_case(self, input_tokens: int, max_output_tokens: int) -> float:
        """USD for a call that sends `input_tokens` (none of them cached) and gets the longest
        answer allowed: what a budget should reserve before the call."""
        return (input_tokens * self.input + max_output_tokens * self.output) / TOKENS_PER_UNIT


class PriceTable:
    """Prices per `provider:model` id, with dates; immutable (`merged` returns a new table).

    `prices` may hold several entries per model with different `effective` dates. `aliases`
    maps other ids to a priced one (`anthropic:claude-sonnet-4-0` → `anthropic:claude-sonnet-4`).
    `unknown_ceiling`, when given, is charged for a model the table does not know instead of
    raising `UnknownPrice`. `free_providers` cost nothing whatever the model. `version` names the
    table in logs and traces. Ids are compared case-insensitively.
    """

    def __init__(
        self,
        prices: Iterable[Price] = (),
        *,
        aliases: Mapping[str, str] | None = None,
        unknown_ceiling: Price | None = None,
        free_providers: Iterable[str] = FREE_PROVIDERS,
        version: str = "custom",
    ) -> None:
        self.version = version
        self.unknown_ceiling = unknown_ceiling
        self.free_providers = frozenset(p.lower() for p in free_providers)
        history: dict[str, list[Price]] = {}
        for price in prices:
            key = _key(price.model, what="price model")
            entries = history.setdefault(key, [])
            if any(p.effective == price.effective for p in entries):
                when = f"effective {price.effective}" if price.effective else "with no date"
                raise ConfigError(f"two prices for {price.model} {when}; keep one")
            entries.append(price)
        self._prices: dict[str, tuple[Price, ...]] = {
            key: tuple(sorted(entries, key=_effective)) for key, entries in history.items()
        }
        self._aliases: dict[str, str] = {}
        for alias, target in (aliases or {}).items():
            alias_key, target_key = _key(alias, what="alias"), _key(target, what="alias target")
            if alias_key in self._prices:
                raise ConfigError(f"{alias} is both priced and an alias of {target}; keep one")
            if target_key not in self._prices:
                raise ConfigError(f"alias {alias} points to {target}, which has no price")
            self._aliases[alias_key] = target_key

    @classmethod
    def load_default(
        cls,
        *,
        unknown_ceiling: Price | None = None,
        free_providers: Iterable[str] = FREE_PROVIDERS,
    ) -> PriceTable:
        """The price table bundled with frontdesk (`frontdesk/models/prices.toml`)."""
        prices, aliases, version = _bundled()
        return cls(
            prices,
            aliases=dict(aliases),
            unknown_ceiling=unknown_ceiling,
            free_providers=free_providers,
            version=version,
        )

    @classmethod
    def from_toml(
        cls,
        path: str | os.PathLike[str],
        *,
        unknown_ceiling: Price | None = None,
        free_providers: Iterable[str] = FREE_PROVIDERS,
    ) -> PriceTable:
        """A table read from a TOML file in the format of the bundled `prices.toml`
        (docs/costs.md). A missing, unreadable or invalid file raises `ConfigError` naming the
        file and the entry at fault."""
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"price table {file} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"price table {file} cannot be read: {exc}") from exc
        prices, aliases, version = _parse(text, str(file))
        return cls(
            prices,
            aliases=dict(aliases),
            unknown_ceiling=unknown_ceiling,
            free_providers=free_providers,
            version=version,
        )

    def merged(self, other: PriceTable | Iterable[Price]) -> PriceTable:
        """A new table: this one with `other`'s models added. A model priced in `other` takes
        all its entries from `other` (this table's history of it is dropped), so overriding a
        bundled price needs one entry, without a date. The ceiling and the free providers stay
        this table's."""
        if not isinstance(other, PriceTable):
            other = PriceTable(other)
        kept = [
            price
            for key, entries in self._prices.items()
            if key not in other._prices
            for price in entries
        ]
        aliases = {a: t for a, t in self._aliases.items() if a not in other._prices}
        aliases.update(other._aliases)
        return PriceTable(
            [*kept, *(p for entries in other._prices.values() for p in entries)],
            aliases=aliases,
            unknown_ceiling=self.unknown_ceiling,
            free_providers=self.free_providers,
            version=f"{self.version}+{other.version}",
        )

    @property
    def models(self) -> list[str]:
        """The priced model ids (lower-cased), sorted; aliases excluded."""
        return sorted(self._prices)

    def price(self, model_id: str, on: date | None = None) -> Price:
        """The price of `model_id` (`provider:model`) on the day `on` (default: today, UTC).

        A free provider is priced at 0. An unknown model, or a day before the model's first
        entry, gets the `unknown_ceiling` (its `model` set to `model_id`) or raises
        `UnknownPrice`.
        """
        provider, sep, name = model_id.partition(":")
        if provider.lower() in self.free_providers:
            return Price(input=0.0, output=0.0, model=model_id, source="free provider")
        if not sep or not name:
            raise UnknownPrice(
                f"cannot price {model_id!r}: model ids are 'provider:model', e.g. "
                f"'openai:gpt-4o-mini'",
                model=model_id,
            )
        if isinstance(on, datetime):  # a datetime is a date, but does not compare with one
            on = on.date()
        day = on or datetime.now(UTC).date()
        history = self._history(model_id)
        if history:
            applicable = [p for p in history if _effective(p) <= day]
            if applicable:
                return applicable[-1]
        ceiling = self.unknown_ceiling
        if ceiling is not None:
            source = "ceiling for unknown models"
            if ceiling.source:
                source = f"{source}: {ceiling.source}"
            return replace(ceiling, model=model_id, effective=None, source=source)
        if history:
            raise UnknownPrice(
                f"no price for {model_id} on {day}: the earliest price of {history[0].model} "
                f"(price table {self.version}) is effective from {history[0].effective}",
                model=model_id,
            )
        raise UnknownPrice(
            f"no price for {model_id} in price table {self.version}; add one with "
            f"table.merged([Price(model={model_id!r}, input=..., output=...)]) or from a TOML "
            f"file with PriceTable.from_toml (see docs/costs.md), or build the table with "
            f"unknown_ceiling=Price(...) to charge a ceiling for unknown models",
            model=model_id,
        )

    def cost(self, model_id: str, usage: Usage, on: date | None = None) -> float:
        """USD for `usage` of `model_id` (see `Price.cost`)."""
        return self.price(model_id, on).cost(usage)

    def worst_case(
        self, model_id: str, input_tokens: int, max_output_tokens: int, on: date | None = None
    ) -> float:
        """The most a call to `model_id` can cost (see `Price.worst_case`)."""
        return self.price(model_id, on).worst_case(input_tokens, max_output_tokens)

    def _history(self, model_id: str) -> tuple[Price, ...]:
        """The entries for `model_id`: by exact id or alias, else as a dated snapshot."""
        key = model_id.lower()
        for candidate in (key, _SNAPSHOT_SUFFIX.sub("", key)):
            candidate = self._aliases.get(candidate, candidate)
            if candidate in self._prices:
                return self._prices[candidate]
        return ()


def _key(model_id: str, *, what: str) -> str:
    provider, sep, name = model_id.partition(":")
    if not (provider and sep and name):
        raise ConfigError(
            f"{what} {model_id!r} is not a 'provider:model' id (e.g. 'openai:gpt-4o-mini')"
        )
    return model_id.lower()


def _effective(price: Price) -> date:
    return price.effective or date.min


# ---- the TOML format (pydantic at the config-file edge) ----


class _ModelRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    effective: date | None = None
    input: float = Field(strict=True, ge=0, allow_inf_nan=False)
    cached_input: float | None = Field(default=None, strict=True, ge=0, allow_inf_nan=False)
    output: float = Field(strict=True, ge=0, allow_inf_nan=False)
    aliases: list[str] = Field(default_factory=list)


class _Provider(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1)
    models: list[_ModelRow] = Field(default_factory=list)


class _PriceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal[1]
    version: str = Field(min_length=1)
    providers: dict[str, _Provider]


Parsed = tuple[tuple[Price, ...], tuple[tuple[str, str], ...], str]


@functools.cache
def _bundled() -> Parsed:
    text = importlib.resources.files("frontdesk.models").joinpath(_DEFAULT_FILE).read_text("utf-8")
    return _parse(text, f"frontdesk/models/{_DEFAULT_FILE}")


def _parse(text: str, where: str) -> Parsed:
    """The prices, aliases and version in a price-table TOML document; `where` names it in
    errors."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"price table {where} is not valid TOML: {exc}") from exc
    try:
        document = _PriceFile.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe(error["loc"], error["msg"], raw) for error in exc.errors()]
        shown = "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
        raise ConfigError(f"price table {where} is invalid: {shown}") from None
    prices: list[Price] = []
    aliases: dict[str, str] = {}
    seen: dict[tuple[str, date | None], str] = {}
    for provider, block in document.providers.items():
        if not provider or ":" in provider:
            raise ConfigError(
                f"price table {where}: [providers.{provider}]: a provider name cannot be empty "
                f"or contain ':'"
            )
        for index, row in enumerate(block.models):
            entry = f"providers.{provider}.models[{index}] ({row.name!r})"
            model = f"{provider}:{row.name}"
            previous = seen.setdefault((model.lower(), row.effective), entry)
            if previous != entry:
                raise ConfigError(
                    f"price table {where}: {entry} repeats {previous}: same model and "
                    f"effective date {row.effective}; keep one"
                )
            prices.append(
                Price(
                    model=model,
                    effective=row.effective,
                    input=row.input,
                    cached_input=row.cached_input,
                    output=row.output,
                    source=block.source,
                )
            )
            for alias in row.aliases:
                alias_id = f"{provider}:{alias}".lower()
                if aliases.setdefault(alias_id, model) != model:
                    raise ConfigError(
                        f"price table {where}: {entry}: alias {alias!r} already names "
                        f"{aliases[alias_id]}"
                    )
    priced = {p.model.lower() for p in prices}
    for alias_id, model in aliases.items():
        if alias_id in priced:
            raise ConfigError(
                f"price table {where}: {alias_id} is both priced and an alias of {model}"
            )
    return tuple(prices), tuple(aliases.items()), document.version


def _describe(loc: tuple[int | str, ...], message: str, raw: dict[str, Any]) -> str:
    """`providers.openai.models[3] ('gpt-4o'): input: <message>` for a validation error."""
    path = ""
    for item in loc:
        path += f"[{item}]" if isinstance(item, int) else (f".{item}" if path else str(item))
    if len(loc) >= 4 and loc[0] == "providers" and loc[2] == "models" and isinstance(loc[3], int):
        entry = f"providers.{loc[1]}.models[{loc[3]}]"
        try:
            name = raw["providers"][loc[1]]["models"][loc[3]]["name"]
        except (KeyError, IndexError, TypeError):
            name = None
        label = f"{entry} ({name!r})" if isinstance(name, str) else entry
        rest = ".".join(str(item) for item in loc[4:])
        return f"{label}: {rest}: {message}" if rest else f"{label}: {message}"
    return f"{path}: {message}" if path else message
