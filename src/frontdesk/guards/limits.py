"""Hard limits on a run: steps, model calls and wall time.

Hitting any of them stops the run gracefully, with the partial result and one `stop_reason`
(`iteration_limit` or `timeout`); the budget in USD is the cost ledger's job
(`frontdesk.guards.budget`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(kw_only=True, slots=True, frozen=True)
class Limits:
    """Hard limits on one specialist run.

    `max_steps` counts turns of the tool loop (one model request each). `max_model_calls`
    counts every request the run sends to a model, each attempt of a retried call included;
    None leaves it bounded by `max_steps` times the retry attempts. `timeout_s` bounds the
    run's wall time, tool calls included (None: no bound).
    """

    max_steps: int = 8
    max_model_calls: int | None = None
    timeout_s: float | None = 60.0

    def __post_init__(self) -> None:
        if self.max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {self.max_steps}")
        if self.max_model_calls is not None and self.max_model_calls < 1:
            raise ValueError(
                f"max_model_calls must be at least 1 (or None for no separate limit), got "
                f"{self.max_model_calls}"
            )
        if self.timeout_s is not None and not (
            self.timeout_s > 0 and math.isfinite(self.timeout_s)
        ):
            raise ValueError(
                f"timeout_s must be a positive number of seconds (or None for no bound), got "
                f"{self.timeout_s}"
            )
