"""Models: the `Model` interface, `provider:model` ids resolved lazily, the test doubles, the
resilience wrappers (retry, circuit breaker, fallback), the price table and the `Budgeted`
wrapper that meters calls in a request's cost ledger.

`resolve_model("openai:gpt-4o-mini")` imports the OpenAI adapter only when asked; vendor SDKs are
optional extras. `ALLOW_MODEL_REQUESTS = False` (set by the test suite) makes any request to a
non-loopback provider fail with `ModelRequestsDisabled`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from frontdesk.errors import ConfigError
from frontdesk.models.base import (
    ComposedModel,
    Model,
    ModelResponse,
    ModelSettings,
    ToolDefinition,
)
from frontdesk.models.budgeted import Budgeted, budgeted, estimate_input_tokens
from frontdesk.models.pricing import Price, PriceTable, UnknownPrice
from frontdesk.models.resilience import (
    BREAKERS,
    BreakerRegistry,
    CircuitBreaker,
    CircuitBreaking,
    Fallback,
    ProviderUnavailable,
    RetryEvent,
    Retrying,
    current_attempt,
    resilient,
)
from frontdesk.models.testing import FunctionModel, RecordedCall, ScriptedModel

ALLOW_MODEL_REQUESTS = True
"""When False, adapters refuse to send requests anywhere but loopback (the unit suite's setting)."""

# provider -> "module:factory"; the factory takes the model name and returns a Model.
PROVIDERS: dict[str, str] = {
    "openai": "frontdesk.models.openai:OpenAIModel",
    "anthropic": "frontdesk.models.anthropic:AnthropicModel",
}


def resolve_model(model: str | Model) -> Model:
    """Turn a `provider:model` id (e.g. `openai:gpt-4o-mini`) into a `Model`; a `Model` passes
    through unchanged."""
    if isinstance(model, Model):
        return model
    provider, sep, name = model.partition(":")
    if not sep or not name:
        raise ConfigError(
            f"model id {model!r} is not of the form 'provider:model'; "
            f"use e.g. 'openai:gpt-4o-mini' or 'anthropic:claude-haiku-4-5'"
        )
    target = PROVIDERS.get(provider)
    if target is None:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigError(
            f"unknown model provider {provider!r} in {model!r}; known providers: {known}"
        )
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # the vendor SDK is an optional extra
        raise ConfigError(
            f"provider {provider!r} needs an extra package ({exc.name}); "
            f"install it with: pip install 'frontdesk[{provider}]'"
        ) from exc
    factory: Callable[[str], Model] = getattr(module, attr)
    return factory(name)


__all__ = [
    "ALLOW_MODEL_REQUESTS",
    "BREAKERS",
    "PROVIDERS",
    "BreakerRegistry",
    "Budgeted",
    "CircuitBreaker",
    "CircuitBreaking",
    "ComposedModel",
    "Fallback",
    "FunctionModel",
    "Model",
    "ModelResponse",
    "ModelSettings",
    "Price",
    "PriceTable",
    "ProviderUnavailable",
    "RecordedCall",
    "RetryEvent",
    "Retrying",
    "ScriptedModel",
    "ToolDefinition",
    "UnknownPrice",
    "budgeted",
    "current_attempt",
    "estimate_input_tokens",
    "resilient",
    "resolve_model",
]
