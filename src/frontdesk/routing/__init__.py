"""Routing: the `Router` interface, its decision type, and the trained embedding router."""

from frontdesk.routing.base import Action, Alternative, RouteContext, RouteDecision, Router
from frontdesk.routing.embedding import OUT_OF_SCOPE, EmbeddingRouter, RouteRule

__all__ = [
    "OUT_OF_SCOPE",
    "Action",
    "Alternative",
    "EmbeddingRouter",
    "RouteContext",
    "RouteDecision",
    "RouteRule",
    "Router",
]
