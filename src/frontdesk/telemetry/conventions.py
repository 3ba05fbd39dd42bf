"""Every span, attribute and metric name frontdesk emits, in one place.

Spans and attributes follow the OpenTelemetry GenAI semantic conventions where one exists
(`invoke_agent {name}`, `chat {model}`, `execute_tool {name}`, `gen_ai.*`, `error.type`); what is
ours lives under `frontdesk.`. Metric names are Prometheus names in base units (seconds, USD,
tokens), counters ending in `_total`. Label names come only from `METRIC_LABELS`: low-cardinality
values (agents, models, categories, reasons), never a user, conversation or trace id.
"""

from __future__ import annotations

from typing import Final

# ---- span names (format with the agent, model or tool name) ----

SPAN_INVOKE_AGENT: Final = "invoke_agent {name}"
SPAN_CHAT: Final = "chat {model}"
SPAN_EXECUTE_TOOL: Final = "execute_tool {name}"

SPAN_SAFETY_CHECK: Final = "safety_check {name}"
"""The safety gate's check of a user message (before routing)."""

ROUTER_AGENT: Final = "router"
"""The agent name of the routing step (its span is `invoke_agent router`)."""

# ---- gen_ai.operation.name values ----

OP_INVOKE_AGENT: Final = "invoke_agent"
OP_CHAT: Final = "chat"
OP_EXECUTE_TOOL: Final = "execute_tool"

# ---- GenAI semantic-convention attributes ----

GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
"""Only with content capture on, and redacted (JSON text)."""
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
"""Only with content capture on, and redacted (JSON text)."""
GEN_AI_TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
"""Only with content capture on, and redacted (JSON text)."""
GEN_AI_TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
"""Only with content capture on, and redacted."""
ERROR_TYPE: Final = "error.type"

# ---- frontdesk attributes ----

FD_APP: Final = "frontdesk.app"
FD_TENANT: Final = "frontdesk.tenant"
FD_ROUTE_CATEGORY: Final = "frontdesk.route.category"
FD_ROUTE_CONFIDENCE: Final = "frontdesk.route.confidence"
FD_ROUTE_ALTERNATIVES: Final = "frontdesk.route.alternatives"
"""How many candidate categories the router reported."""
FD_ROUTE_REASON: Final = "frontdesk.route.reason"
FD_ROUTE_PATH: Final = "frontdesk.route.path"
FD_ROUTER_VERSION: Final = "frontdesk.router.version"
FD_ACTION: Final = "frontdesk.action"
FD_REASON: Final = "frontdesk.reason"
"""Why a request was escalated (emergency, person_requested, budget_exceeded, ...)."""
FD_STOP_REASON: Final = "frontdesk.stop_reason"
FD_COST_USD: Final = "frontdesk.cost_usd"
FD_STEPS: Final = "frontdesk.steps"
FD_MODEL_CALLS: Final = "frontdesk.model_calls"
"""On a pipeline stage's or debate analyst's span: the model calls it made."""
FD_ATTEMPT: Final = "frontdesk.attempt"
FD_AGENT: Final = "frontdesk.agent"
"""On a `chat` span: the agent whose call it is (the ledger's label)."""
FD_USER_MESSAGE: Final = "frontdesk.user_message"
"""Only with content capture on, and redacted."""
FD_REPLY: Final = "frontdesk.reply"
"""Only with content capture on, and redacted."""
FD_SAFETY_FIRED: Final = "frontdesk.safety.fired"
FD_SAFETY_CLASS: Final = "frontdesk.safety.class"
"""The risk class that fired, or the highest-scoring one when none did."""
FD_SAFETY_SCORE: Final = "frontdesk.safety.score"
FD_SAFETY_THRESHOLD: Final = "frontdesk.safety.threshold"
FD_SAFETY_VERSION: Final = "frontdesk.safety.version"
FD_SAFETY_SECOND_OPINION: Final = "frontdesk.safety.second_opinion"
"""`raised`, `declined` or `failed` when a model was asked (absent otherwise)."""
FD_SAFETY_EVIDENCE: Final = "frontdesk.safety.evidence"
"""The words that fired it: only with content capture on, and redacted (it quotes the user)."""

# ---- metrics ----

METRIC_LABELS: Final = frozenset(
    {"agent", "model", "provider", "category", "status", "reason", "action", "stage", "operation"}
)
"""The only label names any frontdesk metric may carry."""

REQUESTS: Final = "frontdesk_requests"
"""Counter {agent, action, status}: requests (user messages) answered, by the agent that answered
and the stop reason (`status`; `error` when the request raised)."""
REQUEST_ERRORS: Final = "frontdesk_request_errors"
"""Counter {agent, reason}: requests that failed: provider unavailable, timeout, or an exception."""
REQUEST_DURATION: Final = "frontdesk_request_duration_seconds"
"""Histogram {action}: wall time of a whole request."""
AGENT_RUNS: Final = "frontdesk_agent_runs"
"""Counter {agent, status}: runs of an agent (the router's and each specialist's)."""
AGENT_DURATION: Final = "frontdesk_agent_duration_seconds"
"""Histogram {agent}: wall time of one agent run."""
MODEL_CALLS: Final = "frontdesk_model_calls"
"""Counter {agent, model, provider, status}: model calls (each attempt), `ok` or `error`."""
MODEL_CALL_DURATION: Final = "frontdesk_model_call_duration_seconds"
"""Histogram {agent, model, provider}: wall time of one model call."""
INPUT_TOKENS: Final = "frontdesk_input_tokens"
"""Counter {agent, model}: prompt tokens billed (from the request's cost ledger)."""
OUTPUT_TOKENS: Final = "frontdesk_output_tokens"
"""Counter {agent, model}: completion tokens billed (from the request's cost ledger)."""
COST: Final = "frontdesk_cost_usd"
"""Counter {agent, model}: USD spent (from the request's cost ledger)."""
TOOL_CALLS: Final = "frontdesk_tool_calls"
"""Counter {agent, status}: tool calls, `ok` or `error`."""
SAFETY_CHECKS: Final = "frontdesk_safety_checks"
"""Counter {category, status}: safety-gate checks by risk class (`category`) and outcome
(`fired`, `clear`, `raised_by_model`)."""
ROUTING_DECISIONS: Final = "frontdesk_routing_decisions"
"""Counter {category, action, reason}: routing decisions."""
CLARIFICATIONS: Final = "frontdesk_clarifications"
"""Counter {reason}: clarifying questions asked."""
ESCALATIONS: Final = "frontdesk_escalations"
"""Counter {reason}: conversations handed to a human."""
LIMIT_TRIPS: Final = "frontdesk_limit_trips"
"""Counter {agent, reason}: runs stopped by a limit (iteration_limit, max_model_calls, timeout)."""
BUDGET_TRIPS: Final = "frontdesk_budget_trips"
"""Counter {agent, reason}: model calls refused by a budget; `reason` is the budget's scope
(agent, request, conversation, tenant_daily)."""
CIRCUIT_BREAKERS: Final = "frontdesk_circuit_breakers"
"""Gauge {provider, status}: circuit breakers per provider in each state (closed, open,
half_open)."""

LATENCY_BUCKETS_S: Final = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0,
)  # fmt: skip
"""Histogram buckets, seconds: from a local router call to an 80 s tool-using model run."""
