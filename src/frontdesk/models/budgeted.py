"""`Budgeted`: a model whose every call is reserved and settled in a request's cost ledger.

    model = budgeted(app_model, request.ledger, agent="billing")   # beneath retries/fallback
    response = await model.request(messages, tools=tools)          # or BudgetExceeded, no call

Before each call, `Budgeted` prices the call's worst case with the ledger's `PriceTable`: the
prompt's tokens, estimated (`estimate_input_tokens`), at the input price, plus
`settings.max_output_tokens` at the output price. An unbounded answer (`max_output_tokens=None`)
is capped at `max_output_tokens` (4096 by default) so that the worst case is one. An unknown
model raises `UnknownPrice` (never $0). The ledger holds that amount or raises `BudgetExceeded`,
and then the model is not called. After the call the reservation settles:

- an answer: its reported usage at the model's price;
- an error that reports usage (`ModelError.usage`): that usage;
- an error that consumed nothing: an HTTP error status (the provider refused; 429 and 5xx are
  not billed), a connection that could not be made, requests disabled, a configuration error:
  $0;
- anything else (a timeout, an unreadable answer, cancellation): the whole reservation, since
  the provider may have produced, and billed, the answer the client gave up on.

`budgeted(model, ledger, agent=...)` places a `Budgeted` around each innermost model of a
retry / circuit-breaker / fallback composition, so a retried call reserves again for each
attempt (labelled with its number) and a fallback model is priced as itself.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import TYPE_CHECKING

from frontdesk.errors import ConfigError, ModelError, ModelRequestsDisabled
from frontdesk.messages import Message, Usage, to_json
from frontdesk.models._remote import ModelConnectionError, ModelHTTPError
from frontdesk.models.base import ComposedModel, Model, ModelResponse, ModelSettings, ToolDefinition
from frontdesk.models.pricing import PriceTable
from frontdesk.models.resilience import current_attempt

if TYPE_CHECKING:
    from frontdesk.guards.budget import CostLedger

BYTES_PER_TOKEN = 3
"""The estimate's divisor: tokenizers average about 4 characters of English (or code) per
token, and a UTF-8 byte is at most a character, so bytes / 3 over-counts by about a third."""
TOKENS_PER_MESSAGE = 8
"""Added per message for the role and separator tokens a provider wraps each one in."""
DEFAULT_MAX_OUTPUT_TOKENS = 4096
"""The answer limit `Budgeted` sets on a call that has none, so its worst case is bounded."""

_CONSUMED_NOTHING = (ModelHTTPError, ModelConnectionError, ModelRequestsDisabled, ConfigError)
"""Errors raised before the provider produced anything billable."""


def estimate_input_tokens(messages: Sequence[Message], tools: Sequence[ToolDefinition]) -> int:
    """A cheap, conservative estimate of a prompt's tokens, for reservations: the UTF-8 bytes of
    the messages and tool definitions serialised as JSON, divided by `BYTES_PER_TOKEN`, plus
    `TOKENS_PER_MESSAGE` per message. Not a tokenizer: it errs high for English and code, and
    may err low for scripts whose characters a tokenizer splits (some CJK text); a call that
    costs more than it reserved is still charged in full."""
    payload = json.dumps(
        [to_json(m) for m in messages] + [asdict(t) for t in tools], ensure_ascii=False
    )
    content = math.ceil(len(payload.encode("utf-8")) / BYTES_PER_TOKEN)
    return content + TOKENS_PER_MESSAGE * len(messages)


class Budgeted(Model):
    """`model` metered by `ledger`: each call reserves its worst case as `agent`'s, is refused
    with `BudgetExceeded` if that does not fit, and settles to what it cost (see the module
    docstring). Prices come from `prices`, else the ledger's table. It answers to the inner
    model's id. Use `budgeted()` to put it beneath retry and fallback wrappers."""

    def __init__(
        self,
        model: Model,
        ledger: CostLedger,
        *,
        agent: str,
        prices: PriceTable | None = None,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
    ) -> None:
        if max_output_tokens < 1:
            raise ConfigError(f"Budgeted: max_output_tokens must be >= 1, got {max_output_tokens}")
        self.wrapped = model
        self.provider = model.provider
        self.model_name = model.model_name
        self.ledger = ledger
        self.agent = agent
        self.prices = prices
        self.max_output_tokens = max_output_tokens

    def __repr__(self) -> str:
        return f"Budgeted({self.wrapped!r}, agent={self.agent!r})"

    async def aclose(self) -> None:
        await self.wrapped.aclose()

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        settings = settings or ModelSettings()
        if settings.max_output_tokens is None:
            settings = replace(settings, max_output_tokens=self.max_output_tokens)
        assert settings.max_output_tokens is not None
        model_id = self.wrapped.id
        price = (self.prices or self.ledger.prices).price(model_id)
        worst = price.worst_case(estimate_input_tokens(messages, tools), settings.max_output_tokens)
        held = await self.ledger.reserve(
            agent=self.agent, model=model_id, usd=worst, attempt=current_attempt()
        )
        try:
            response = await self.wrapped.request(messages, tools=tools, settings=settings)
        except BaseException as exc:
            reported = exc.usage if isinstance(exc, ModelError) else None
            if reported is not None:
                usage, cost = reported, price.cost(reported)
            elif isinstance(exc, _CONSUMED_NOTHING):
                usage, cost = Usage(), 0.0
            else:
                usage, cost = Usage(), held.usd
            held.settle(usage, cost_usd=cost, error=type(exc).__name__)
            if not isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                await self.ledger.flush()
            raise
        held.settle(response.usage, cost_usd=price.cost(response.usage))
        await self.ledger.flush()
        return response


def budgeted(
    model: Model, ledger: CostLedger, *, agent: str, prices: PriceTable | None = None
) -> Model:
    """`model` with every call that reaches a provider metered by `ledger` as `agent`'s: a
    `Budgeted` around each innermost model, beneath any retry, circuit-breaker or fallback
    wrappers (a `ComposedModel`). The shared wrappers are copied, not changed: a copy keeps
    its settings and its circuit breaker. A `Budgeted` already in the way is replaced, so one
    call is never reserved twice."""

    def meter(inner: Model) -> Model:
        return budgeted(inner, ledger, agent=agent, prices=prices)

    if isinstance(model, Budgeted):
        model = model.wrapped
    if isinstance(model, ComposedModel):
        return model.map_models(meter)
    return Budgeted(model, ledger, agent=agent, prices=prices)


def innermost_models(model: Model) -> list[Model]:
    """The models a composition of wrappers calls in the end (the model itself when it wraps
    none): the ones a price table must price."""
    found: list[Model] = []

    def collect(inner: Model) -> Model:
        if isinstance(inner, Budgeted):
            inner = inner.wrapped
        if isinstance(inner, ComposedModel):
            inner.map_models(collect)
        else:
            found.append(inner)
        return inner

    collect(model)
    return found
