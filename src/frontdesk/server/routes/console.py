"""The operator console: one static page (plain HTML, CSS and JS) that uses the same API."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["console"])


@router.get("/console", response_class=FileResponse)
async def console() -> FileResponse:
    """The operator console (public page; every API call it makes needs an operator key)."""
    return FileResponse(STATIC / "console.html", media_type="text/html")
