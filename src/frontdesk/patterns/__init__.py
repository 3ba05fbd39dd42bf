"""The patterns users build with; each compiles to a LangGraph graph."""

from frontdesk.patterns.router_specialist import RouterSpecialist

__all__ = ["RouterSpecialist"]
