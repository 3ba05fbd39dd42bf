"""Routing: the `Router` interface, its decision type, and the trained embedding router."""

from frontdesk.routing.base import Action, Alternative, RouteContext, RouteDecision, Router
from frontdesk.routing.cascade import CascadeRouter
from frontdesk.routing.embedding import (
    NOT_ROUTED,
    OUT_OF_SCOPE,
    UNCLEAR,
    EmbeddingRouter,
    RouteRule,
)

__all__ = [
    "NOT_ROUTED",
    "OUT_OF_SCOPE",
    "UNCLEAR",
    "Action",
    "Alternative",
    "CascadeRouter",
    "EmbeddingRouter",
    "RouteContext",
    "RouteDecision",
    "RouteRule",
    "Router",
]
