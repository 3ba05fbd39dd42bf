"""The store interface: conversations, escalations, routing decisions and model-call costs, plus
the LangGraph checkpointer that shares the same database.

Two implementations pass one conformance suite (tests/store): SQLite (the embedded default) and
PostgreSQL (`FRONTDESK_DATABASE_URL=postgresql://…`). Messages of a conversation carry a
sequence number that is unique per conversation, so its history is always linear. A lease per
conversation (`acquire_lease`) lets one writer at a time run a turn, across processes.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal, Self

from langgraph.checkpoint.base import BaseCheckpointSaver

from frontdesk.errors import InvalidInput

Role = Literal["user", "assistant", "operator", "system"]
EscalationStatus = Literal["open", "claimed", "resolved"]
ApiKeyRole = Literal["client", "operator", "admin"]
ADMIN_OPERATOR = "*"
"""The operator name that resolves any ticket, whoever claimed it (an admin)."""

CONVERSATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def check_conversation_id(conversation_id: str) -> str:
    """Return the id if it is well formed, else raise `InvalidInput` saying what is allowed."""
    if not CONVERSATION_ID.fullmatch(conversation_id):
        raise InvalidInput(
            f"invalid conversation id {conversation_id[:80]!r}: use 1-128 characters from "
            f"letters, digits and . _ : - (starting with a letter or digit), e.g. 'conv-42'"
        )
    return conversation_id


def check_ttl(ttl_s: float) -> float:
    """Return `ttl_s` as a float if it is a positive, finite number of seconds, else raise
    `InvalidInput` saying so."""
    if isinstance(ttl_s, bool) or not isinstance(ttl_s, int | float):
        raise InvalidInput(f"lease ttl_s must be a number of seconds, got {ttl_s!r}")
    if not math.isfinite(ttl_s) or ttl_s <= 0:
        raise InvalidInput(f"lease ttl_s must be a positive number of seconds, got {ttl_s!r}")
    return float(ttl_s)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


@dataclass(kw_only=True, slots=True)
class StoredMessage:
    """One message of a conversation as persisted."""

    conversation_id: str
    seq: int
    role: Role
    text: str
    agent: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)


@dataclass(kw_only=True, slots=True)
class Lease:
    """The right to write to one conversation until `expires_at`, held by `owner`.

    `token` is the fencing token: it grows by one each time the lease changes hands, so a holder
    that stalled past its expiry (and was taken over) is told apart from the new one even when
    both use the same owner name. `expires_at` is Unix seconds by the database's clock; the
    store updates it when `renew_lease` succeeds.
    """

    conversation_id: str
    owner: str
    token: int
    expires_at: float


@dataclass(kw_only=True, slots=True)
class Escalation:
    """A conversation handed to a human, with the package the operator needs."""

    id: str = field(default_factory=lambda: new_id("esc"))
    conversation_id: str
    status: EscalationStatus = "open"
    reason: str
    category: str | None = None
    confidence: float | None = None
    priority: int = 2
    """0 = most urgent (emergency) … 3 = low."""
    sla_deadline: float = 0.0
    package: dict[str, Any] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    claimed_by: str | None = None
    """The operator holding the ticket (set by `claim_escalation`, cleared by a requeue)."""
    claimed_at: float | None = None
    resolved_at: float | None = None
    resume_bot: bool | None = None
    """Set on resolve: True hands the conversation back to the bot, False keeps it with humans."""


@dataclass(kw_only=True, slots=True, frozen=True)
class SlaPolicy:
    """When tickets are overdue. An open ticket must be claimed before its `sla_deadline`
    (`minutes[priority]` after it was created or last requeued); a claimed ticket whose operator
    has not replied within `claim_timeout_s` of claiming it goes back to the queue. Either way
    `requeue_overdue` raises its priority by one (0 is the most urgent) and gives it a new
    deadline for that priority."""

    minutes: Mapping[int, float] = field(
        default_factory=lambda: {0: 5.0, 1: 15.0, 2: 240.0, 3: 1440.0}
    )
    default_minutes: float = 240.0
    claim_timeout_s: float = 900.0

    def deadline(self, priority: int, now: float) -> float:
        """The SLA deadline of a ticket of `priority` (re)queued at `now`."""
        return now + self.minutes.get(priority, self.default_minutes) * 60


DEFAULT_SLA = SlaPolicy()


@dataclass(kw_only=True, slots=True)
class ApiKey:
    """An API key of the HTTP service, stored hashed (`key_hash`: the sha256 hex digest of the
    key; the key itself is shown once, when created). A client's conversations are stored with
    `tenant`; `revoked_at` is set once the key is revoked."""

    id: str = field(default_factory=lambda: new_id("key"))
    name: str
    role: ApiKeyRole
    key_hash: str
    tenant: str = ""
    """Defaults to the key's id."""
    created_at: float = field(default_factory=time.time)
    revoked_at: float | None = None

    def __post_init__(self) -> None:
        if not self.tenant:
            self.tenant = self.id


@dataclass(kw_only=True, slots=True)
class DecisionRecord:
    """One routing decision, as kept in the decision log."""

    conversation_id: str
    trace_id: str
    category: str | None
    confidence: float
    action: str
    reason: str
    router_version: str
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    latency_ms: float = 0.0
    created_at: float = field(default_factory=time.time)
    safety: dict[str, Any] | None = None
    """The safety gate's verdict on the message (`SafetyVerdict.to_json()`), when the pattern
    has a gate: `{"fired", "class", "score", "evidence", ...}`."""


def utc_day(timestamp: float) -> str:
    """The UTC calendar day of a Unix time, as `YYYY-MM-DD` (the key of daily cost roll-ups)."""
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()


@dataclass(kw_only=True, slots=True)
class CostRecord:
    """One settled model call: a line item of a request's cost ledger.

    `attempt` counts the attempts of a retried call from 1; `error` names what a failed attempt
    failed with (its cost is what the provider reported, 0 when it consumed nothing, or the
    reservation when that is unknown). `id` is unique, so a record stored twice counts once.
    """

    id: str = field(default_factory=lambda: new_id("cost"))
    conversation_id: str
    tenant: str = "default"
    trace_id: str = ""
    agent: str
    model: str
    attempt: int = 1
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cost_usd: float = 0.0
    error: str | None = None
    created_at: float = field(default_factory=time.time)

    @property
    def day(self) -> str:
        """The UTC day the call was settled on (`YYYY-MM-DD`)."""
        return utc_day(self.created_at)


@dataclass(kw_only=True, slots=True, frozen=True)
class CostTotals:
    """USD already spent, as the budgets that span requests see it: by one conversation (all
    time) and by one tenant on one UTC day."""

    conversation_usd: float = 0.0
    tenant_day_usd: float = 0.0


class Store(ABC):
    """Persistence for conversations, escalations, decisions and costs."""

    url: str = ""

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @abstractmethod
    async def open(self) -> None:
        """Connect and create the schema if missing (idempotent)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    @abstractmethod
    def checkpointer(self) -> BaseCheckpointSaver[Any]:
        """The LangGraph checkpointer on the same database (valid between open and close)."""

    @abstractmethod
    async def append_message(
        self,
        conversation_id: str,
        role: Role,
        text: str,
        *,
        agent: str | None = None,
        meta: dict[str, Any] | None = None,
        tenant: str = "default",
    ) -> StoredMessage:
        """Append a message, giving it the conversation's next sequence number atomically."""

    @abstractmethod
    async def history(
        self, conversation_id: str, *, limit: int | None = None
    ) -> list[StoredMessage]:
        """The conversation's messages in order (the last `limit` if given)."""

    @abstractmethod
    async def create_escalation(self, escalation: Escalation) -> Escalation:
        """Persist a new escalation and return the conversation's ticket, atomically across
        processes: a conversation has at most one active (open or claimed) ticket, which the
        database enforces.

        If the conversation has an active ticket already, that one is returned, so escalating
        is idempotent: of concurrent callers, one opens the ticket and all get it back.
        `escalation` is then stored resolved, superseded by it (`package["superseded_by"]`,
        `package["superseded_note"]`), so that its id still finds a record. A ticket whose id
        is stored already is returned as stored (creating it again is a no-op)."""

    @abstractmethod
    async def get_escalation(self, escalation_id: str) -> Escalation | None:
        """One escalation by id."""

    @abstractmethod
    async def list_escalations(
        self, *, status: EscalationStatus | None = None, conversation_id: str | None = None
    ) -> list[Escalation]:
        """Escalations, most urgent first, then oldest first."""

    @abstractmethod
    async def claim_escalation(self, escalation_id: str, operator: str) -> Escalation | None:
        """Move an open ticket to `claimed` by `operator`, atomically across processes: of many
        concurrent claimers exactly one gets the ticket back. None when it is not open (already
        claimed or resolved) or unknown."""

    @abstractmethod
    async def resolve_escalation(
        self, escalation_id: str, operator: str, *, resume_bot: bool
    ) -> Escalation | None:
        """Resolve a ticket claimed by `operator` (`ADMIN_OPERATOR`, "*", resolves any ticket
        that is not resolved yet), recording `resume_bot`. None when `operator` may not resolve
        it: not claimed by them, already resolved, or unknown."""

    @abstractmethod
    async def requeue_overdue(
        self, now: float, *, sla: SlaPolicy = DEFAULT_SLA
    ) -> list[Escalation]:
        """Apply the SLA rule at time `now` (see `SlaPolicy`): open tickets past their deadline,
        and claimed tickets without an operator reply within `sla.claim_timeout_s`, are
        (re)opened with their priority raised by one (not below 0) and a new deadline. Returns
        them; each overdue ticket is returned by exactly one of several concurrent sweeps."""

    @abstractmethod
    async def active_escalation(self, conversation_id: str) -> Escalation | None:
        """The conversation's open or claimed ticket (there is at most one): while there is
        one, the user's messages go to a human, not the bot."""

    @abstractmethod
    async def conversation_tenant(self, conversation_id: str) -> str | None:
        """The tenant that owns a conversation: the one that claimed it (`claim_conversation`)
        or, failing that, its first message was stored with; None for a conversation nobody
        has claimed or written to."""

    @abstractmethod
    async def claim_conversation(self, conversation_id: str, tenant: str) -> str:
        """The tenant that owns the conversation, making it `tenant`'s if it has no owner yet,
        atomically across processes: of concurrent first claims by different tenants exactly
        one wins, and every caller gets the winner back. An owner never changes."""

    @abstractmethod
    async def create_api_key(self, key: ApiKey) -> ApiKey:
        """Persist a new API key."""

    @abstractmethod
    async def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        """The key with this sha256 hex digest; None if unknown or revoked."""

    @abstractmethod
    async def list_api_keys(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""

    @abstractmethod
    async def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key; True if it was active, False if unknown or already revoked."""

    @abstractmethod
    async def record_decision(self, record: DecisionRecord) -> None:
        """Append to the decision log."""

    @abstractmethod
    async def decisions(self, conversation_id: str) -> list[DecisionRecord]:
        """The decision log of one conversation, oldest first."""

    @abstractmethod
    async def acquire_lease(self, conversation_id: str, owner: str, ttl_s: float) -> Lease | None:
        """Take the conversation's lease for `ttl_s` seconds, atomically across processes: create
        it, or take it over if it expired or was released (its token grows by one). None while
        it is held and unexpired, whoever holds it: acquiring is not re-entrant."""

    @abstractmethod
    async def renew_lease(self, lease: Lease, ttl_s: float) -> bool:
        """Extend a held lease to `ttl_s` seconds from now (updating `lease.expires_at`). False
        if it has expired, was released or changed hands: the holder must stop writing."""

    @abstractmethod
    async def release_lease(self, lease: Lease) -> None:
        """Give the lease up so the next writer need not wait for it to expire. A no-op unless
        `lease` (owner and token) is still the current one."""

    @abstractmethod
    async def record_costs(self, records: Sequence[CostRecord]) -> None:
        """Append line items to the cost ledger. A record whose `id` is already stored is
        skipped, so an interrupted write can be repeated without counting anything twice."""

    @abstractmethod
    async def costs(self, conversation_id: str) -> list[CostRecord]:
        """The cost line items of one conversation, oldest first."""

    @abstractmethod
    async def cost_totals(
        self, *, conversation_id: str, tenant: str, day: str, excluding_trace: str = ""
    ) -> CostTotals:
        """What `conversation_id` has spent, and what `tenant` spent on the UTC `day`
        (`YYYY-MM-DD`), leaving out the records of the request `excluding_trace` (a ledger
        counts its own request from memory)."""
