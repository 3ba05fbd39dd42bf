"""frontdesk: a production runtime for multi-agent LLM systems.

The public names live here; internals are in the submodules.
"""

from frontdesk.agents import AgentResult, Specialist, StopReason, run_specialist
from frontdesk.context import RequestContext
from frontdesk.errors import (
    BudgetExceeded,
    ConfigError,
    ConversationBusy,
    FrontdeskError,
    InvalidInput,
    LeaseLost,
    LimitExceeded,
    ModelError,
    ModelRequestsDisabled,
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
from frontdesk.patterns import RouterSpecialist
from frontdesk.reply import Reply
from frontdesk.routing import EmbeddingRouter, RouteDecision, Router, RouteRule
from frontdesk.runtime import App
from frontdesk.tools import Tool, ToolContext, tool

__all__ = [
    "AgentResult",
    "App",
    "Budget",
    "BudgetExceeded",
    "ConfigError",
    "ConversationBusy",
    "CostLedger",
    "Document",
    "EmbeddingRouter",
    "FrontdeskError",
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
    "PriceTable",
    "Reply",
    "RequestContext",
    "RouteDecision",
    "RouteRule",
    "Router",
    "RouterSpecialist",
    "ScriptedModel",
    "Specialist",
    "StopReason",
    "StoreError",
    "Tool",
    "ToolContext",
    "guardrail",
    "resolve_model",
    "run_specialist",
    "tool",
]
