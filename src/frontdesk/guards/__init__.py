"""Guards around a run: the per-conversation lease (one writer per conversation, also across
processes sharing the store; docs/leases.md), the cost ledger that enforces budgets before each
model call (docs/budgets.md) and the hard limits on steps, model calls and wall time."""

from frontdesk.guards.budget import AgentLimits, Budget, CostLedger, Reservation
from frontdesk.guards.lease import DEFAULT_TTL_S, DEFAULT_WAIT_S, ConversationLease
from frontdesk.guards.limits import Limits

__all__ = [
    "DEFAULT_TTL_S",
    "DEFAULT_WAIT_S",
    "AgentLimits",
    "Budget",
    "ConversationLease",
    "CostLedger",
    "Limits",
    "Reservation",
]
