"""Building blocks for offline specialists: deterministic stand-in models that plan tool calls
from the user's words and compose answers from tool results and knowledge-base passages.

An offline planner is a function `(messages, tools) -> ModelResponse` wrapped in `OfflineModel`.
It sees what a real model sees: the transcript, including the `ToolReturn`s of the calls it
asked for, so the same tool loop, limits and guardrails apply online and offline.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from frontdesk.knowledge import Document, best_sentences
from frontdesk.messages import Message, TextPart, ToolCallPart, ToolReturn, Usage, UserMessage
from frontdesk.models.base import ModelResponse
from frontdesk.models.testing import FunctionModel, ResponseFunction

OFFLINE_NOTE = "(Offline mode: answered from our knowledge base and records, without an AI model.)"


class OfflineModel(FunctionModel):
    """A `FunctionModel` that identifies itself as `offline:<name>` and costs nothing."""

    provider = "offline"

    def __init__(self, planner: ResponseFunction, *, name: str) -> None:
        super().__init__(planner, model_name=name)


def last_user_text(messages: Sequence[Message]) -> str:
    """The text of the most recent user message."""
    for message in reversed(messages):
        if isinstance(message, UserMessage):
            return message.text
    return ""


def tool_results(messages: Sequence[Message]) -> list[ToolReturn]:
    """Tool results received since the most recent user message, in order."""
    results: list[ToolReturn] = []
    for message in reversed(messages):
        if isinstance(message, UserMessage):
            break
        if isinstance(message, ToolReturn):
            results.append(message)
    return list(reversed(results))


def latest_result(results: Sequence[ToolReturn], name: str) -> ToolReturn | None:
    """The most recent result of the tool `name` among `results`, or None if it was not called."""
    return next((r for r in reversed(results) if r.name == name), None)


def error_text(result: ToolReturn) -> str:
    """A tool's error message without the "<tool> failed: <ExceptionType>: " prefix the tool
    loop adds."""
    text = result.content.removeprefix(f"{result.name} failed: ")
    return text.split(": ", 1)[-1] if text != result.content else text


def call(name: str, **arguments: Any) -> ModelResponse:
    """A response asking for one tool call."""
    return ModelResponse(
        parts=[ToolCallPart(id=f"call_{uuid.uuid4().hex[:12]}", name=name, arguments=arguments)],
        usage=Usage(requests=1),
        finish_reason="tool_calls",
    )


def answer(text: str, *, note: bool = True) -> ModelResponse:
    """A final answer, with the offline-mode note appended unless `note=False`."""
    body = f"{text.strip()}\n\n{OFFLINE_NOTE}" if note else text.strip()
    return ModelResponse(parts=[TextPart(text=body)], usage=Usage(requests=1))


def closest_source(result: ToolReturn) -> str | None:
    """The line pointing at the closest passage of a `search_knowledge` result that covered
    nothing ("covered": false), when it has a URL; None otherwise."""
    try:
        passages: list[dict[str, object]] = json.loads(result.content)
    except json.JSONDecodeError:
        return None
    for passage in passages:
        if passage.get("covered", True) is False and passage.get("url"):
            title = str(passage["title"]).rstrip(" ?")
            return (
                "The closest page I found may not answer your question, but you can read it: "
                f"{title}: {passage['url']}"
            )
    return None


def knowledge_answer(result: ToolReturn, query: str, *, max_passages: int = 2) -> str | None:
    """An answer composed from a `search_knowledge` result: the most relevant sentences of the
    best passages, then the sources of those that carry a URL. None when nothing relevant was
    found."""
    try:
        passages: list[dict[str, str]] = json.loads(result.content)
    except json.JSONDecodeError:
        return None
    passages = [p for p in passages if p.get("covered", True) is not False]
    if not passages:
        return None
    pieces: list[str] = []
    cited: list[str] = []
    for passage in passages[:max_passages]:
        document = Document(id=passage["id"], title=passage["title"], text=passage["text"])
        piece = best_sentences(document, query)
        if piece in pieces:  # a corpus may repeat an answer under several ids
            continue
        pieces.append(piece)
        source = (
            f"- {passage['title'].rstrip(' ?')}: {passage['url']}" if passage.get("url") else ""
        )
        if source and source not in cited:
            cited.append(source)
        if len(passages) > 1 and pieces and len(" ".join(pieces)) > 500:
            break
    if cited:
        pieces.append("Source" + ("s" if len(cited) > 1 else "") + ":\n" + "\n".join(cited))
    return "\n\n".join(pieces)
