"""What counts as a usable report text (shared by both extraction paths)."""

from __future__ import annotations

from frontdesk.errors import InvalidInput

MAX_TEXT_CHARS = 200_000
"""About 60 pages: a report longer than this is refused rather than processed slowly."""


def check_text(text: object) -> str:
    """`text` if it is a usable report, else `InvalidInput` saying what is wrong."""
    if isinstance(text, bytes | bytearray | memoryview):
        raise InvalidInput("the report is bytes: decode it to text (UTF-8) before extracting")
    if not isinstance(text, str):
        raise InvalidInput(f"the report must be text (str), not {type(text).__name__}")
    if not text.strip():
        raise InvalidInput("the report is empty: there is nothing to extract")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(
            f"the report has {len(text):,} characters, more than the {MAX_TEXT_CHARS:,} "
            f"accepted: split it into separate reports"
        )
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    if "\x00" in text or controls > max(8, len(text) // 100):
        raise InvalidInput(
            "the report looks like binary data (control characters), not text: extract the "
            "text first (e.g. from the PDF)"
        )
    return text
