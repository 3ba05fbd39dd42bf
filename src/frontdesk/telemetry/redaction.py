"""PHI redaction for everything telemetry may carry: span attributes and events, and logs.

Content (prompts, completions, tool arguments and results) stays out of telemetry unless
content capture is on; when it is, every text passes through `Redactor.redact` first, which
replaces what looks like an identifier with its kind in brackets (`[NAME]`, `[PHONE]`, ...).
`RedactingFilter` does the same to log records.

The recognisers themselves (what each identifier kind covers, and why presidio is not used) are
in `_recognizers.py`; docs/observability.md lists them with their measured recall.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from frontdesk.telemetry._recognizers import RECOGNIZERS, Finding, Recognizer, first_name_recognizer

__all__ = [
    "RECOGNIZERS",
    "Finding",
    "Recognizer",
    "RedactingFilter",
    "Redactor",
    "install_log_redaction",
]


class Redactor:
    """Finds identifiers with `recognizers` and replaces them with `[KIND]`."""

    CACHE_SIZE = 512
    """Texts remembered with their redaction: a conversation's system prompt, history and tool
    results are sent again with every model call, and redacted once."""

    def __init__(self, recognizers: Sequence[Recognizer] | None = None) -> None:
        self.recognizers = (
            tuple(recognizers) if recognizers is not None
            else (*RECOGNIZERS, first_name_recognizer())
        )  # fmt: skip
        self._cache: dict[str, str] = {}

    def find(self, text: str) -> list[Finding]:
        """Every identifier in `text`, overlaps merged (the earliest start wins, then the
        longest), in order."""
        found = sorted(
            (f for r in self.recognizers for f in r.find(text)),
            key=lambda f: (f.start, -(f.end - f.start)),
        )
        merged: list[Finding] = []
        for finding in found:
            if merged and finding.start < merged[-1].end:
                last = merged[-1]
                if finding.end > last.end:
                    merged[-1] = Finding(kind=last.kind, start=last.start, end=finding.end)
                continue
            merged.append(finding)
        return merged

    def redact(self, text: str) -> str:
        """`text` with every identifier replaced by `[KIND]`."""
        if not text:
            return text
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        if len(self._cache) >= self.CACHE_SIZE:
            self._cache.clear()
        self._cache[text] = redacted = self._redact(text)
        return redacted

    def _redact(self, text: str) -> str:
        out: list[str] = []
        position = 0
        for finding in self.find(text):
            out.append(text[position : finding.start])
            out.append(f"[{finding.kind}]")
            position = finding.end
        out.append(text[position:])
        return "".join(out)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message (arguments merged in) and its
    formatted exception. Add it to a handler (`handler.addFilter(RedactingFilter())`) to
    cover every logger that reaches the handler; `install_log_redaction` does so for the
    handlers of a logger (the root logger by default).

    With `keep_args`, the message template is left alone and each argument is redacted by itself
    (numbers stay numbers), for formatters that read `record.args`, such as uvicorn's access
    log. The recognisers then see an argument without the words around it, so merge (the
    default) wherever the formatter allows."""

    def __init__(self, redactor: Redactor | None = None, *, keep_args: bool = False) -> None:
        super().__init__()
        self.redactor = redactor or Redactor()
        self.keep_args = keep_args

    def filter(self, record: logging.LogRecord) -> bool:
        if self.keep_args and isinstance(record.args, tuple):
            record.args = tuple(self._argument(a) for a in record.args)
        else:
            record.msg = self.redactor.redact(record.getMessage())
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True

    def _argument(self, value: object) -> object:
        if value is None or isinstance(value, int | float):
            return value
        return self.redactor.redact(str(value))


def install_log_redaction(
    logger: logging.Logger | None = None,
    redactor: Redactor | None = None,
    *,
    keep_args: bool = False,
) -> RedactingFilter:
    """Add one `RedactingFilter` (with `keep_args`) to every handler of `logger` (default: the
    root logger) that has none yet; returns the filter."""
    target = logger or logging.getLogger()
    log_filter = RedactingFilter(redactor, keep_args=keep_args)
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(log_filter)
    return log_filter
