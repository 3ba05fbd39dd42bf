"""`TracedRouter`: the routing step of a request as an `invoke_agent router` span."""

from __future__ import annotations

from frontdesk.routing import RouteContext, RouteDecision, Router
from frontdesk.telemetry.tracing import DISABLED


class TracedRouter(Router):
    """`router`, each decision traced (category, confidence, number of alternatives, reason,
    router version) and timed as the `router` agent's run, by the telemetry of the request it
    routes in (`context.request.telemetry`; nothing without one). A cascade's model call is a
    `chat` span beneath it."""

    def __init__(self, router: Router) -> None:
        self.wrapped = router
        self.version = router.version

    async def route(self, text: str, context: RouteContext | None = None) -> RouteDecision:
        request = context.request if context is not None else None
        telemetry = (request.telemetry if request is not None else None) or DISABLED
        conversation_id = context.conversation_id if context is not None else ""
        with telemetry.router_span(text, conversation_id) as span:
            decision = await self.wrapped.route(text, context)
            telemetry.finish_route(span, decision)
            return decision
