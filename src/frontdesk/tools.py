"""Tools: typed Python functions turned into JSON-schema tool definitions.

    @tool
    async def list_appointments(ctx: ToolContext, patient_id: str) -> list[Appointment]:
        '''Upcoming appointments of a patient.'''

The first parameter may be a `ToolContext` (injected, not shown to the model). The other
parameters become the JSON schema (via pydantic, at this edge only); the docstring's first
paragraph is the description. Arguments from a model are validated before the call; a validation
error is returned to the model as an error result rather than raised.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, get_type_hints, overload

import pydantic

from frontdesk.models.base import ToolDefinition


@dataclass(kw_only=True, slots=True)
class ToolContext:
    """What a tool may know about the request it runs in; `deps` is the app's own object
    (e.g. a database handle and the signed-in patient)."""

    conversation_id: str
    deps: Any = None
    tenant: str = "default"


@dataclass(kw_only=True, slots=True)
class Tool:
    """A callable tool with its model-facing definition."""

    name: str
    description: str
    function: Callable[..., Any]
    takes_context: bool
    arguments_model: type[pydantic.BaseModel]
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def definition(self) -> ToolDefinition:
        return ToolDefinition(
            name=self.name, description=self.description, parameters=self.parameters
        )

    async def call(self, ctx: ToolContext, arguments: dict[str, Any]) -> Any:
        """Validate `arguments` and run the tool. Raises `pydantic.ValidationError` on bad input."""
        validated = self.arguments_model.model_validate(arguments)
        kwargs = {name: getattr(validated, name) for name in self.arguments_model.model_fields}
        result = self.function(ctx, **kwargs) if self.takes_context else self.function(**kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result


def _description(function: Callable[..., Any]) -> str:
    doc = inspect.getdoc(function) or ""
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


def _build(function: Callable[..., Any], name: str | None) -> Tool:
    signature = inspect.signature(function)
    hints = get_type_hints(function, include_extras=True)
    params = list(signature.parameters.values())
    takes_context = bool(params) and hints.get(params[0].name) is ToolContext
    if takes_context:
        params = params[1:]
    fields: dict[str, Any] = {}
    for param in params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"tool {function.__name__}: *args/**kwargs are not supported")
        annotation = hints.get(param.name, Any)
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation, default)
    model_name = f"{function.__name__}_arguments"
    arguments_model = pydantic.create_model(
        model_name, __config__=pydantic.ConfigDict(extra="forbid"), **fields
    )
    schema = arguments_model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    schema.setdefault("properties", {})
    schema["additionalProperties"] = False
    return Tool(
        name=name or function.__name__,
        description=_description(function),
        function=function,
        takes_context=takes_context,
        arguments_model=arguments_model,
        parameters=schema,
    )


@overload
def tool(function: Callable[..., Any], /) -> Tool: ...
@overload
def tool(*, name: str | None = None) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    function: Callable[..., Any] | None = None, /, *, name: str | None = None
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a `Tool` from a typed function (usable bare or as `@tool(name=...)`)."""
    if function is not None:
        return _build(function, name)

    def decorate(fn: Callable[..., Any]) -> Tool:
        return _build(fn, name)

    return decorate


def render_result(value: Any) -> str:
    """A tool's return value as the text a model reads (JSON for structured values)."""
    if isinstance(value, str):
        return value
    return json.dumps(_jsonable(value), ensure_ascii=False, default=str)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


ToolFunction = Callable[..., Any | Awaitable[Any]]
