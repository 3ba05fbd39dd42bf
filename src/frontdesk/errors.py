"""Exceptions raised by frontdesk.

    FrontdeskError                 root of everything the library raises on purpose
    ├── ConfigError                the configuration is wrong (file, environment, model id)
    ├── ConversationBusy           another message of the conversation holds its lease (HTTP 409)
    │   └── LeaseLost              a turn lost its lease mid-way and was stopped
    ├── EscalationConflict         an escalation is not in the state the action needs: claimed
    │                              already, resolved, or not claimed by this operator (HTTP 409)
    ├── InvalidInput               a caller's input is unusable (empty text, oversize, bad id)
    ├── LimitExceeded              a run reached a hard limit (e.g. max_model_calls); the call
    │   │                          that would have passed it was not made
    │   └── BudgetExceeded         a model call's worst-case cost does not fit a budget
    ├── ModelError                 a model call failed (carries model and, if any, status code)
    │   └── ModelRequestsDisabled  a real provider call was attempted while they are disabled
    ├── NotFound                   no such escalation (or other record) (HTTP 404)
    └── StoreError                 the persistence layer failed

User errors (`ConfigError`, `InvalidInput`) carry a message that names the problem and the fix;
the CLI prints them without a stack trace. `LimitExceeded` and `BudgetExceeded` rarely reach a
caller: a specialist run turns them into its `stop_reason` (`iteration_limit`,
`budget_exceeded`) with a partial answer.
"""

from __future__ import annotations

from typing import Literal

from frontdesk.messages import Usage

BudgetScope = Literal["request", "conversation", "tenant_daily", "agent"]
"""Which budget a `BudgetExceeded` refers to: the request's, the conversation's (across its
requests), the tenant's for the current UTC day, or one agent's share of the request."""


class FrontdeskError(Exception):
    """Root of every exception frontdesk raises on purpose."""


class ConfigError(FrontdeskError):
    """The configuration (file, environment variable or model id) is wrong."""


class ConversationBusy(FrontdeskError):
    """Another message of the same conversation is being processed, here or in another process
    sharing the store, and it did not finish within the wait (`App(lease_wait_s=…)`). When this
    exact class is raised, nothing of the refused message was stored and the caller may retry it.
    Maps to HTTP 409 Conflict."""

    def __init__(self, message: str, *, conversation_id: str, waited_s: float = 0.0) -> None:
        super().__init__(message)
        self.conversation_id = conversation_id
        self.waited_s = waited_s


class LeaseLost(ConversationBusy):
    """A turn could not renew its conversation lease (the store was unreachable for longer than
    the lease's time to live, or another owner took it over) and was stopped, so that two
    writers never interleave. The user message may be stored without a reply."""


class EscalationConflict(FrontdeskError):
    """An escalation is not in the state the action needs: claiming one that is claimed or
    resolved, replying to or resolving one this operator has not claimed. `status` is the
    ticket's status when the action was refused, `claimed_by` who holds it (if anyone). Maps to
    HTTP 409 Conflict."""

    def __init__(
        self, message: str, *, escalation_id: str, status: str, claimed_by: str | None = None
    ) -> None:
        super().__init__(message)
        self.escalation_id = escalation_id
        self.status = status
        self.claimed_by = claimed_by


class InvalidInput(FrontdeskError):
    """The caller's input cannot be processed; the message says what was wrong."""


class LimitExceeded(FrontdeskError):
    """A run reached one of its hard limits, and the model call that would have passed it was
    not made. `limit` names the limit (`max_model_calls`), `value` its setting and `agent` the
    agent whose call was refused."""

    def __init__(self, message: str, *, limit: str, value: float, agent: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.value = value
        self.agent = agent


class BudgetExceeded(LimitExceeded):
    """A model call was refused before it was made: its worst-case cost (`requested_usd`) on
    top of what is already spent (`spent_usd`) and reserved by calls in flight
    (`reserved_usd`) would pass the `scope` budget of `limit_usd`."""

    def __init__(
        self,
        message: str,
        *,
        scope: BudgetScope,
        limit_usd: float,
        spent_usd: float,
        reserved_usd: float,
        requested_usd: float,
        agent: str,
        model: str,
    ) -> None:
        super().__init__(message, limit=f"{scope}_usd", value=limit_usd, agent=agent)
        self.scope: BudgetScope = scope
        self.limit_usd = limit_usd
        self.spent_usd = spent_usd
        self.reserved_usd = reserved_usd
        self.requested_usd = requested_usd
        self.model = model


class ModelError(FrontdeskError):
    """A model call failed. `usage` is what the provider reported the failed call consumed,
    when it reported anything (a cost ledger charges it); None when unknown."""

    def __init__(
        self,
        message: str,
        *,
        model: str,
        status_code: int | None = None,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message)
        self.model = model
        self.status_code = status_code
        self.usage = usage


class ModelRequestsDisabled(ModelError):
    """A request to a remote model provider was attempted while requests are disabled."""


class NotFound(FrontdeskError):
    """The record asked for does not exist (`kind` names what was looked up, e.g.
    "escalation", and `id` its id). Maps to HTTP 404."""

    def __init__(self, message: str, *, kind: str, id: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.id = id


class StoreError(FrontdeskError):
    """The conversation store failed."""
