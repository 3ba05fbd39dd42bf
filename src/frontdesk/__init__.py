"""frontdesk: a production runtime for multi-agent LLM systems.

The public names live here; internals are in the submodules.
"""

from frontdesk.agents import AgentResult, Limits, Specialist, StopReason, run_specialist
from frontdesk.errors import (
    ConfigError,
    ConversationBusy,
    FrontdeskError,
    InvalidInput,
    LeaseLost,
    ModelError,
    ModelRequestsDisabled,
    StoreError,
)
from frontdesk.guardrails import Guardrail, GuardrailContext, GuardrailResult, guardrail
from frontdesk.knowledge import Document, KnowledgeBase
from frontdesk.models import FunctionModel, Model, ModelResponse, ScriptedModel, resolve_model
from frontdesk.patterns import RouterSpecialist
from frontdesk.reply import Reply
from frontdesk.routing import EmbeddingRouter, RouteDecision, Router, RouteRule
from frontdesk.runtime import App
from frontdesk.tools import Tool, ToolContext, tool

__all__ = [
    "AgentResult",
    "App",
    "ConfigError",
    "ConversationBusy",
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
    "Limits",
    "Model",
    "ModelError",
    "ModelRequestsDisabled",
    "ModelResponse",
    "Reply",
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
