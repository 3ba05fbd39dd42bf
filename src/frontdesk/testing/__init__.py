"""Test support shipped with frontdesk: a local OpenAI- and Anthropic-compatible model server
with fault injection (`ModelServer`), and the scripted replies it serves.

The offline model doubles (`FunctionModel`, `ScriptedModel`) live in `frontdesk.models`.
"""

from __future__ import annotations

from frontdesk.testing.model_server import Fault, ModelServer, RecordedRequest
from frontdesk.testing.replies import Reply, Responder, ToolCall, echo, last_user_text

__all__ = [
    "Fault",
    "ModelServer",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ToolCall",
    "echo",
    "last_user_text",
]
