"""Routing: the `Router` interface, its decision type, and the trained embedding router."""

from frontdesk.routing.base import Action, Alternative, RouteContext, RouteDecision, Router

__all__ = ["Action", "Alternative", "RouteContext", "RouteDecision", "Router"]
