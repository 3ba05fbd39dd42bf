"""The patterns users build with; each compiles to a LangGraph graph."""

from frontdesk.patterns.debate import Analyst, Candidate, Debate, DebateResult, run_debate
from frontdesk.patterns.escalation import EscalationRules
from frontdesk.patterns.pipeline import Pipeline, PipelineResult, Stage, run_pipeline
from frontdesk.patterns.router_specialist import RouterSpecialist
from frontdesk.patterns.steps import ProgressEvent, StepContext, stream_progress

__all__ = [
    "Analyst",
    "Candidate",
    "Debate",
    "DebateResult",
    "EscalationRules",
    "Pipeline",
    "PipelineResult",
    "ProgressEvent",
    "RouterSpecialist",
    "Stage",
    "StepContext",
    "run_debate",
    "run_pipeline",
    "stream_progress",
]
