"""frontdesk: a production runtime for multi-agent LLM systems.

The public names live here; internals are in the submodules.
"""

from frontdesk.agents import AgentResult, Specialist, StopReason, run_specialist
from frontdesk.context import RequestContext
from frontdesk.errors import (
    BudgetExceeded,
    ConfigError,
    ConversationBusy,
    EscalationConflict,
    FrontdeskError,
    InvalidInput,
    LeaseLost,
    LimitExceeded,
    ModelError,
    ModelRequestsDisabled,
    NotFound,
    StoreError,
)
from frontdesk.guardrails import Guardrail, GuardrailContext, GuardrailResult, guardrail
from frontdesk.guards import Budget, CostLedger, Limits
from frontdesk.knowledge import Document, KnowledgeBase
from frontdesk.models import (
    FunctionModel,
    Model,
    ModelResponse,
    PriceTable,
    ScriptedModel,
    resolve_model,
)
from frontdesk.patterns import (
    Analyst,
    Candidate,
    Debate,
    DebateResult,
    EscalationRules,
    Pipeline,
    PipelineResult,
    ProgressEvent,
    RouterSpecialist,
    Stage,
    StepContext,
    run_debate,
    run_pipeline,
    stream_progress,
)
from frontdesk.reply import Reply
from frontdesk.routing import EmbeddingRouter, RouteDecision, Router, RouteRule
from frontdesk.runtime import App
from frontdesk.safety import FunctionDetector, RiskDetector, RiskScore, SafetyGate, SafetyVerdict
from frontdesk.telemetry import Telemetry
from frontdesk.tools import Tool, ToolContext, tool

__all__ = [
    "AgentResult",
    "Analyst",
    "App",
    "Budget",
    "BudgetExceeded",
    "Candidate",
    "ConfigError",
    "ConversationBusy",
    "CostLedger",
    "Debate",
    "DebateResult",
    "Document",
    "EmbeddingRouter",
    "EscalationConflict",
    "EscalationRules",
    "FrontdeskError",
    "FunctionDetector",
    "FunctionModel",
    "Guardrail",
    "GuardrailContext",
    "GuardrailResult",
    "InvalidInput",
    "KnowledgeBase",
    "LeaseLost",
    "LimitExceeded",
    "Limits",
    "Model",
    "ModelError",
    "ModelRequestsDisabled",
    "ModelResponse",
    "NotFound",
    "Pipeline",
    "PipelineResult",
    "PriceTable",
    "ProgressEvent",
    "Reply",
    "RequestContext",
    "RiskDetector",
    "RiskScore",
    "RouteDecision",
    "RouteRule",
    "Router",
    "RouterSpecialist",
    "SafetyGate",
    "SafetyVerdict",
    "ScriptedModel",
    "Specialist",
    "Stage",
    "StepContext",
    "StopReason",
    "StoreError",
    "Telemetry",
    "Tool",
    "ToolContext",
    "guardrail",
    "resolve_model",
    "run_debate",
    "run_pipeline",
    "run_specialist",
    "stream_progress",
    "tool",
]
