"""Guards around a turn. For now: the per-conversation lease (one writer per conversation, also
across processes sharing the store). See docs/leases.md."""

from frontdesk.guards.lease import DEFAULT_TTL_S, DEFAULT_WAIT_S, ConversationLease

__all__ = ["DEFAULT_TTL_S", "DEFAULT_WAIT_S", "ConversationLease"]
