"""Router → specialists, compiled to a LangGraph graph.

    route ──► clarify                     (low confidence, small margin, out of scope)
          ├─► escalate                    (escalation category, a person asked for, still
          │                                unsure after a clarification, repeated
          │                                clarification)
          └─► <specialist> ──► escalate?  (a guardrail block that asks for a human, a budget
                                           or limit stop)

The graph's state is per conversation (the checkpointer's thread id is the conversation id):
it carries the pending clarification and the count of clarifications in a row across turns.
Everything a node needs for the current request arrives in the typed `TurnContext`, whose
`RequestContext` meters every model call (the cascade router's and the specialists') in the
request's cost ledger. A specialist stopped by a budget hands over to `escalate` when
`Services.escalate_on_budget` is set. The triggers are the pattern's `EscalationRules`.

The `escalate` node opens the ticket, then pauses the graph with LangGraph's `interrupt()` until
an operator resolves the ticket; `App.resolve` resumes it with `Command(resume=...)`. Resuming
re-runs the node from its start, so what it does before the interrupt is idempotent: the
ticket's id is derived from the turn's trace id, and an existing ticket is not created again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from frontdesk.agents import AgentResult, Specialist, StopReason, run_specialist
from frontdesk.context import RequestContext
from frontdesk.errors import ConfigError
from frontdesk.messages import Message
from frontdesk.models.base import Model
from frontdesk.patterns.escalation import (
    EscalationRules,
    Handoff,
    PersonRequestDetector,
    build_escalation,
    clarification_attempts,
    failure_reason,
    turn_escalation_id,
)
from frontdesk.routing import (
    OUT_OF_SCOPE,
    UNCLEAR,
    CascadeRouter,
    EmbeddingRouter,
    RouteContext,
    RouteDecision,
    Router,
)
from frontdesk.routing.embedding import RouteRule
from frontdesk.safety import SafetyGate, SafetyVerdict
from frontdesk.store import DecisionRecord, Store
from frontdesk.telemetry.tracing import DISABLED
from frontdesk.tools import ToolContext

DEFAULT_HANDOFF_REPLY = (
    "I've passed your message to a member of our team, who will reply here as soon as possible."
)
_ORDINAL_WORDS = (
    ("1", "one", "first", "former", "top"),
    ("2", "two", "second", "latter", "bottom"),
    ("3", "three", "third"),
    ("4", "four", "fourth"),
    ("5", "five", "fifth"),
)
_LABEL_STOPWORDS = frozenset(
    "about question questions general information help with the and for".split()
)


def _ordinal(answer: str) -> int | None:
    """The option number a short answer names ("2", "the second one", "option 1"), else None.
    Only whole answers count: "one more thing about my bill" picks nothing."""
    match = re.fullmatch(
        r"\W*(?:i\s+meant?\s+)?(?:(?:option|number|no\.?|#)\s*)?(?:the\s+)?(\w+)(?:\s+one)?"
        r"(?:\s+please)?\W*",
        answer.lower(),
    )
    if match is None:
        return None
    word = match.group(1)
    return next((i for i, words in enumerate(_ORDINAL_WORDS) if word in words), None)


class TurnState(TypedDict, total=False):
    """Graph state. JSON-only values, so any checkpointer can persist it."""

    text: str
    decision: dict[str, Any] | None
    reply: dict[str, Any] | None
    pending: dict[str, Any] | None
    clarifications: int
    escalate: dict[str, Any] | None
    trace_id: str
    """The turn's trace id (it names the ticket a turn opens, also when the turn is resumed)."""
    handback: dict[str, Any] | None
    """How the last escalation was resolved (the value `App.resolve` resumed the graph with)."""


@dataclass(kw_only=True)
class TurnContext:
    """Everything about the current request that nodes need (LangGraph run context)."""

    request: RequestContext
    tool_context: ToolContext
    history: Sequence[Message] = ()
    recent_user_texts: Sequence[str] = ()
    decisions: list[RouteDecision] = field(default_factory=list)

    @property
    def conversation_id(self) -> str:
        return self.request.conversation_id

    @property
    def trace_id(self) -> str:
        return self.request.trace_id


@dataclass(kw_only=True)
class RouterSpecialist:
    """Declaration of the router → specialists pattern.

    `specialists` answer; `routes` adds training utterances per category: for a specialist's
    category they join its `examples`, otherwise they define a category without a specialist
    (e.g. emergency, legal, complaint); `escalate` names the categories handed to a human;
    `out_of_scope` are examples of messages the app does not handle, `unclear` of messages too
    vague to route (both are answered with a clarifying question). Adding a category means
    adding one specialist (its `examples` train the router) — nothing else changes.
    """

    specialists: Sequence[Specialist]
    threshold: float = 0.55
    margin: float = 0.0
    routes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    escalate: Collection[str] = ()
    out_of_scope: Sequence[str] = ()
    unclear: Sequence[str] = ()
    rules: Sequence[RouteRule] = ()
    priority: Mapping[str, float] = field(default_factory=dict)
    person_patterns: Sequence[str] = ()
    safety_replies: Mapping[str, str] = field(default_factory=dict)
    """category → a reply given immediately, before any queueing (e.g. call emergency services)."""
    handoff_replies: Mapping[str, str] = field(default_factory=dict)
    topic_labels: Mapping[str, str] = field(default_factory=dict)
    """category → how to name it to a user in a clarification ("a question about a bill")."""
    router: Router | None = None
    escalate_on_repeated_clarification: bool = True
    escalation: EscalationRules = field(default_factory=EscalationRules)
    """When to hand a conversation to a human (`escalate` adds categories to its own)."""
    safety: SafetyGate | None = None
    """A safety gate run on every message before the router; when it fires, the message is
    escalated as the gate's category (`emergency`) with its immediate reply, whatever the
    router says (see `frontdesk.safety`)."""

    def __post_init__(self) -> None:
        names = [s.name for s in self.specialists]
        if len(set(names)) != len(names):
            raise ConfigError(f"specialist names must be unique, got {names}")
        if not self.specialists:
            raise ConfigError("RouterSpecialist needs at least one specialist")
        for category in self.escalate:
            if category not in self.routes and category not in names:
                raise ConfigError(
                    f"escalation category {category!r} has neither a specialist nor examples "
                    f"in routes=; add `routes={{{category!r}: [...examples]}}`"
                )

    def build_router(self, *, cache_dir: Any = None, model: Model | None = None) -> Router:
        """The router this pattern uses: the given one, or an embedding router trained on the
        specialists' examples, the extra routes and the out-of-scope examples — wrapped in a
        cascade that consults `model` for uncertain messages when a model is given."""
        if self.router is not None:
            return self.router
        local = self._embedding_router(cache_dir)
        if model is None:
            return local
        categories = {s.name: s.description for s in self.specialists}
        categories.update({c: self.label(c) for c in self.routes if c not in categories})
        return CascadeRouter(local=local, model=model, categories=categories)

    def _embedding_router(self, cache_dir: Any) -> EmbeddingRouter:
        examples: dict[str, list[str]] = {s.name: list(s.examples) for s in self.specialists}
        for category, texts in self.routes.items():
            examples.setdefault(category, []).extend(texts)
        for category, texts in ((OUT_OF_SCOPE, self.out_of_scope), (UNCLEAR, self.unclear)):
            if texts:
                examples.setdefault(category, []).extend(texts)
        missing = [name for name, texts in examples.items() if not texts]
        if missing:
            raise ConfigError(f"categories without example utterances: {', '.join(missing)}")
        return EmbeddingRouter(
            examples=examples,
            threshold=self.threshold,
            margin=self.margin,
            rules=self.rules,
            priority=self.priority,
            cache_dir=cache_dir,
        )

    def apply_policies(self, decision: RouteDecision, text: str) -> RouteDecision:
        """Turn a router's decision into the pattern's action: escalation categories escalate
        (unless the router asked to clarify), and so does an explicit request for a person."""
        sensitive = decision.category in self.escalate or (
            decision.category in self.escalation.categories
        )
        if sensitive and decision.action != "clarify":
            decision.action = "escalate"
        asks = self.escalation.person_requested and self.person_patterns
        if asks and PersonRequestDetector(patterns=self.person_patterns)(text):
            decision.action, decision.reason = "escalate", "person_requested"
        return decision

    def apply_safety(self, decision: RouteDecision, verdict: SafetyVerdict | None) -> RouteDecision:
        """Record the gate's verdict on the decision; when it fired, the message takes the
        gate's category and is escalated, whatever the router decided (its alternatives stay,
        so the other question in the message is not forgotten)."""
        decision.safety = verdict
        if verdict is not None:
            decision.latency_ms += verdict.latency_ms  # the routing step includes the gate
        if verdict is not None and verdict.fired and self.safety is not None:
            decision.category = self.safety.category
            decision.action = "escalate"
            decision.reason = f"safety:{verdict.risk_class}"
            decision.confidence = verdict.score
        return decision

    async def screen(
        self, text: str, *, request: RequestContext | None, model: Model | None
    ) -> SafetyVerdict | None:
        """The safety gate's verdict on `text` (None without a gate), traced as a
        `safety_check` span; a second opinion from `model` is metered as the `safety` agent's."""
        gate = self.safety
        if gate is None:
            return None
        telemetry = (request.telemetry if request is not None else None) or DISABLED
        if model is not None and request is not None:
            model = request.budgeted(model, agent=gate.name)
        with telemetry.safety_span(gate.name) as span:
            verdict = await gate.check(text, model=model)
            telemetry.finish_safety(
                span, fired=verdict.fired, risk_class=verdict.risk_class, score=verdict.score,
                threshold=verdict.threshold, version=verdict.version,
                second_opinion=verdict.second_opinion, evidence=verdict.evidence,
            )  # fmt: skip
        return verdict

    def label(self, category: str) -> str:
        if category in self.topic_labels:
            return self.topic_labels[category]
        for specialist in self.specialists:
            if specialist.name == category:
                return specialist.description
        return category.replace("_", " ")


@dataclass(kw_only=True)
class Services:
    """The app-wide parts a compiled graph closes over (immutable during a request)."""

    router: Router
    store: Store
    models: Mapping[str, Callable[[ToolContext], Model]]
    escalate_on_budget: bool = True
    """Hand the conversation to a human when a budget stops a specialist."""
    safety_model: Model | None = None
    """The model the safety gate may ask for a second opinion (None: the gate alone)."""


def compile_router_specialist(
    pattern: RouterSpecialist, services: Services, checkpointer: BaseCheckpointSaver[Any] | None
) -> CompiledStateGraph[TurnState, TurnContext, TurnState, TurnState]:
    """Compile the pattern into a LangGraph graph bound to `services`."""
    specialists = {s.name: s for s in pattern.specialists}
    rules = pattern.escalation

    async def route(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
        ctx = runtime.context
        text = state["text"]
        pending = state.get("pending")
        # the gate first, on the message alone and independently of the router's argmax
        verdict = await pattern.screen(text, request=ctx.request, model=services.safety_model)
        decision = await services.router.route(
            text,
            RouteContext(conversation_id=ctx.conversation_id,
                         recent_user_texts=ctx.recent_user_texts, request=ctx.request),
        )  # fmt: skip
        # Safety first: an escalation (emergency rule, sensitive category, a person asked for)
        # is decided on the new message alone, before it can be read as a clarification answer.
        decision = pattern.apply_safety(pattern.apply_policies(decision, state["text"]), verdict)
        forced = decision.reason.startswith(("rule:", "priority:", "safety:"))
        if pending and decision.action != "escalate" and not forced:
            chosen = _resolve_clarification(pattern, pending, text, decision)
            if chosen is not None:
                option, original = chosen
                decision.category, decision.action = option["category"], "answer"
                decision.reason = "clarified"
                # the router's probability for that category when it asked; the user's choice
                # is recorded by the reason, not by inflating the number
                decision.confidence = float(option["confidence"])
                text = f"{original}\n{text}"
            elif (
                decision.action == "clarify" or decision.category not in specialists
            ) and decision.confidence < rules.min_confidence:
                # asking again will not help: the router is still unsure after a question
                decision.action, decision.reason = "escalate", "low_confidence"
        ctx.decisions.append(decision)
        await services.store.record_decision(
            DecisionRecord(
                conversation_id=ctx.conversation_id, trace_id=ctx.trace_id,
                category=decision.category, confidence=decision.confidence,
                action=decision.action, reason=decision.reason,
                router_version=decision.router_version,
                alternatives=[{"category": a.category, "confidence": a.confidence}
                              for a in decision.alternatives],
                latency_ms=decision.latency_ms,
                safety=None if verdict is None else verdict.to_json(),
            )
        )  # fmt: skip
        update: TurnState = {"decision": decision.to_json(), "text": text}
        if decision.action != "clarify":
            update["pending"] = None
            update["clarifications"] = 0
        return update

    def after_route(state: TurnState) -> str:
        decision = state["decision"] or {}
        if decision["action"] == "escalate":
            return "escalate"
        if decision["action"] == "clarify" or decision["category"] not in specialists:
            limit = rules.max_clarifications
            too_many = limit is not None and state.get("clarifications", 0) >= limit
            if too_many and pattern.escalate_on_repeated_clarification:
                return "escalate"
            return "clarify"
        return f"agent_{decision['category']}"

    async def clarify(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
        decision = state["decision"] or {}
        options = [a for a in decision["alternatives"] if a["category"] in _answerable(pattern)]
        options = options[:2]
        if decision["reason"] in ("out_of_scope", "unclear") or not options:
            # offer every topic, numbered, and remember them in that order
            probability = {a["category"]: a["confidence"] for a in decision["alternatives"]}
            options = [{"category": s.name, "confidence": probability.get(s.name, 0.0)}
                       for s in pattern.specialists]  # fmt: skip
            numbered = "; ".join(
                f"({i}) {pattern.label(o['category'])}" for i, o in enumerate(options, start=1)
            )
            opener = (
                "I'm not sure I can help with that."
                if decision["reason"] == "out_of_scope"
                else "Happy to help."
            )
            text = (
                f"{opener} I can help with: {numbered}. Answer with a number, or tell me a bit "
                "more about what you need."
            )
        elif len(options) == 1:
            text = f"Just to check: is this about {pattern.label(options[0]['category'])}?"
        else:
            first, second = (pattern.label(o["category"]) for o in options)
            text = (
                f"I want to make sure I get you to the right place. Did you mean (1) {first}, "
                f"or (2) {second}? You can answer 1 or 2, or tell me more."
            )
        pending_text = (state.get("pending") or {}).get("text") or state["text"]
        return {
            "pending": {"options": options, "text": pending_text},
            "clarifications": state.get("clarifications", 0) + 1,
            "reply": _reply(
                text, agent="clarification", decision=decision, action="clarify",
                stop_reason="completed",
            ),
        }  # fmt: skip

    async def escalate(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
        ctx = runtime.context
        decision = state["decision"] or {}
        previous = state.get("reply") or {}
        requested = state.get("escalate") or {}
        category = decision.get("category")
        confidence = decision.get("confidence")
        safety = SafetyVerdict.from_json(decision["safety"]) if decision.get("safety") else None
        attempts: list[dict[str, Any]] = list(requested.get("attempts", []))
        history = await services.store.history(ctx.conversation_id)
        if requested.get("reason"):
            reason = requested["reason"]
            detail = next((a["why"] for a in attempts if a.get("why")), reason)
        elif decision.get("reason") == "person_requested":
            reason, detail = "person_requested", "the user asked for a person"
        elif decision.get("reason") == "low_confidence" and decision.get("action") == "escalate":
            reason = "low_confidence"  # (the router's own low_confidence only asks to clarify)
            detail = (f"router confidence {confidence:.2f} < {rules.min_confidence:g} on the "
                      f"message after a clarification question")  # fmt: skip
            attempts = clarification_attempts(history)
        elif safety is not None and safety.fired:
            reason = category or "emergency"
            detail = safety.describe()
        elif decision.get("action") == "escalate" and category:
            reason = category
            detail = f"the message was classified as {category} (confidence {confidence:.2f})"
        else:
            reason = "repeated_clarification"
            asked = state.get("clarifications", 0)
            detail = (f"the message would have been clarification {asked + 1} in a row (more "
                      f"than {rules.max_clarifications})")  # fmt: skip
            attempts = clarification_attempts(history)
        # idempotent: resuming after the interrupt below runs this node again
        trace_id = state.get("trace_id") or ctx.trace_id
        ticket_id = turn_escalation_id(ctx.conversation_id, trace_id)
        escalation = await services.store.get_escalation(ticket_id)
        if escalation is not None and escalation.package.get("superseded_by"):
            # another turn had opened the conversation's ticket first: this one joined it
            kept = await services.store.get_escalation(escalation.package["superseded_by"])
            escalation = kept or escalation
        if escalation is None:
            escalation = build_escalation(
                Handoff(
                    conversation_id=ctx.conversation_id, reason=reason, category=category,
                    confidence=confidence, alternatives=decision.get("alternatives", []),
                    attempts=attempts, detail=detail, trace_id=trace_id,
                    safety=safety.to_json() if safety is not None and safety.fired else None,
                    priority=pattern.safety.priority
                    if safety is not None and safety.fired and pattern.safety is not None
                    else None,
                ),
                history, rules=rules, escalation_id=ticket_id,
            )  # fmt: skip
            # the conversation's active ticket: this one, or the one another turn opened first
            escalation = await services.store.create_escalation(escalation)
        parts: list[str] = []
        gate_reply = (
            pattern.safety.reply(safety.risk_class)
            if pattern.safety is not None and safety is not None and safety.fired
            else None
        )
        if gate_reply:
            parts.append(gate_reply)
        elif category is not None and category in pattern.safety_replies:
            parts.append(pattern.safety_replies[category])
        parts.append(pattern.handoff_replies.get(reason)
                     or pattern.handoff_replies.get(category or "")
                     or DEFAULT_HANDOFF_REPLY)  # fmt: skip
        follow_up = pattern.safety.follow_up if pattern.safety is not None else None
        if gate_reply and follow_up and (later := _other_question(pattern, decision)):
            # the risk first; the other question in the message is not forgotten
            parts.append(follow_up.format(topic=later))
        if previous.get("reply") and requested:
            parts.insert(0, previous["reply"])
        # a specialist stopped by a limit keeps its stop reason: the escalation is why the
        # action is `escalate`, the limit is why the run stopped
        stop_reason: StopReason = "escalated"
        if requested and previous.get("stop_reason") not in (None, "completed"):
            stop_reason = previous["stop_reason"]
        reply = _reply(
            "\n\n".join(parts),
            agent=previous.get("agent") or "escalation",
            decision=decision,
            action="escalate",
            stop_reason=stop_reason,
        )
        reply["escalation_id"] = escalation.id
        reply["escalation_reason"] = reason  # for the escalation metrics (by reason)
        if requested:
            reply["error"] = previous.get("error")
        # the turn ends here with `reply`; the graph waits for the operator's resolution
        resolution = interrupt({"escalation_id": escalation.id, "reply": reply})
        return {
            "reply": None, "escalate": None, "pending": None, "clarifications": 0,
            "handback": resolution,
        }  # fmt: skip

    def specialist_node(specialist: Specialist) -> Callable[..., Any]:
        async def run(state: TurnState, runtime: Runtime[TurnContext]) -> TurnState:
            ctx = runtime.context
            model = services.models[specialist.name](ctx.tool_context)
            result = await run_specialist(
                specialist, state["text"], model=model, ctx=ctx.tool_context,
                history=ctx.history, request=ctx.request,
            )  # fmt: skip
            decision = state["decision"] or {}
            reply = _reply(
                result.text, agent=specialist.name, decision=decision, action="answer",
                stop_reason=result.stop_reason,
            )  # fmt: skip
            reply["model"] = result.model
            reply["error"] = result.error
            update: TurnState = {"reply": reply}
            reason = result.escalate_reason
            stopped = result.stop_reason
            budget_ok = stopped != "budget_exceeded" or services.escalate_on_budget
            if reason is None and stopped != "completed" and stopped in rules.stop_reasons:
                reason = stopped if budget_ok else None
            if reason is not None:
                update["escalate"] = {"reason": reason, "attempts": [_attempt(result)]}
            return update

        return run

    def after_specialist(state: TurnState) -> str:
        return "escalate" if state.get("escalate") else END

    graph: StateGraph[TurnState, TurnContext, TurnState, TurnState] = StateGraph(
        TurnState, context_schema=TurnContext
    )
    graph.add_node("route", route)
    graph.add_node("clarify", clarify)
    graph.add_node("escalate", escalate)
    targets = ["clarify", "escalate"]
    for specialist in pattern.specialists:
        node = f"agent_{specialist.name}"
        graph.add_node(node, specialist_node(specialist))
        graph.add_conditional_edges(node, after_specialist, ["escalate", END])
        targets.append(node)
    graph.add_edge(START, "route")
    graph.add_conditional_edges("route", after_route, targets)
    graph.add_edge("clarify", END)
    graph.add_edge("escalate", END)
    return graph.compile(checkpointer=checkpointer)


def _other_question(pattern: RouterSpecialist, decision: dict[str, Any]) -> str | None:
    """What else a message the gate fired on asks about: the router's top category when it is a
    specialist's and the router was confident in it, named for the user."""
    top = next(iter(decision.get("alternatives") or []), None)
    if top is None or top["category"] not in _answerable(pattern):
        return None
    if top["confidence"] < pattern.threshold:
        return None
    return pattern.label(top["category"])


def _answerable(pattern: RouterSpecialist) -> set[str]:
    return {s.name for s in pattern.specialists}


def _resolve_clarification(
    pattern: RouterSpecialist, pending: dict[str, Any], answer: str, decision: RouteDecision
) -> tuple[dict[str, Any], str] | None:
    """Which offered option the user's answer picks, with the original question; None if it
    picks none (then the answer is routed as a new message)."""
    options: list[dict[str, Any]] = list(pending.get("options", []))
    if not options:
        return None
    lowered = answer.lower()
    index = _ordinal(answer)
    if index is not None and index < len(options):
        return options[index], pending["text"]
    # words that name exactly one of the offered options ("billing", "appointment")
    words = {
        o["category"]: {o["category"].lower(), *re.findall(r"[a-z]{4,}", pattern.label(
            o["category"]).lower())} - _LABEL_STOPWORDS
        for o in options
    }  # fmt: skip
    named = [
        o for o in options
        if any(
            re.search(rf"\b{re.escape(w)}", lowered)
            for w in words[o["category"]]
            if all(w not in other for c, other in words.items() if c != o["category"])
        )
    ]  # fmt: skip
    if len(named) == 1:
        return named[0], pending["text"]
    if len(options) == 1 and re.match(r"^\s*(yes|yeah|yep|correct|right|sure)\b", lowered):
        return options[0], pending["text"]
    chosen = decision.category
    if decision.action == "answer" and chosen is not None:
        for option in options:
            if option["category"] == chosen:
                return option, pending["text"]
    return None


def _attempt(result: AgentResult) -> dict[str, Any]:
    return {
        "agent": result.agent,
        "why": failure_reason(result.stop_reason, blocked=result.blocked, error=result.error),
        "stop_reason": result.stop_reason,
        "blocked": result.blocked,
        "error": result.error,
        "cost_usd": result.cost_usd,
        "tool_calls": [
            {"name": c.name, "arguments": c.arguments, "is_error": c.is_error}
            for c in result.tool_calls
        ],
        "guardrail_events": [
            {"guardrail": e.guardrail, "stage": e.stage, "action": e.action, "reason": e.reason}
            for e in result.guardrail_events
        ],
    }


def _reply(
    text: str, *, agent: str, decision: dict[str, Any], action: str, stop_reason: StopReason
) -> dict[str, Any]:
    return {
        "reply": text,
        "agent": agent,
        "category": decision.get("category"),
        "confidence": decision.get("confidence", 0.0),
        "action": action,
        "escalation_id": None,
        "stop_reason": stop_reason,
    }
