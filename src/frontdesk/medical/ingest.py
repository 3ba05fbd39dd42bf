"""Ingest: a report's text checked (`extraction.check_text`: empty, binary, over
`MAX_TEXT_CHARS`) and normalised before any stage reads it, and the report file read with
clear errors (`frontdesk analyze FILE`).

Offsets of every extracted entity index the normalised text (`ReportState.text`): line endings
become "\\n" and the text is in Unicode NFC.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from frontdesk.errors import InvalidInput
from frontdesk.medical.extraction import MAX_TEXT_CHARS, check_text

_BINARY_SIGNATURES = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP archive (e.g. a .docx)",
    b"\xd0\xcf\x11\xe0": "an old Microsoft Office file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}


def normalise_text(text: str) -> str:
    """`text` checked, with "\\n" line endings, in Unicode NFC."""
    check_text(text)
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def read_report(path: Path) -> str:
    """The text of the report at `path`, or `InvalidInput` saying why it cannot be read: a
    missing file, a directory, an empty file, a binary file (PDF, Office, images), a text that
    is not UTF-8, or one too long."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file")
    if path.is_dir():
        raise InvalidInput(f"{path}: is a directory; pass a report's text file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if not data.strip():
        raise InvalidInput(f"{path}: the file is empty; there is no report text to analyse")
    for signature, kind in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise InvalidInput(
                f"{path}: this is {kind}, not plain text; extract its text first (for a PDF, "
                f"e.g. `pdftotext {path.name} report.txt`) and analyse that"
            )
    if b"\x00" in data:
        raise InvalidInput(f"{path}: this looks like a binary file, not a plain-text report")
    if len(data) > 4 * MAX_TEXT_CHARS:  # before decoding a huge file: UTF-8 is <= 4 bytes a char
        raise InvalidInput(f"{path}: {len(data):,} bytes is too long for one report")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); save the report as "
            f"UTF-8 plain text"
        ) from None
    try:
        return check_text(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc}") from None
