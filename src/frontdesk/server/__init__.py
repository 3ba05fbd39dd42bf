"""The HTTP service: FastAPI app, API-key auth, live events (SSE) and the operator console.

    from frontdesk.server import create_app, serve
    api = create_app(app, settings)        # a FastAPI application (ASGI)
    serve(app, settings, port=8000)        # or: frontdesk serve --port 8000

See docs/server.md.
"""

from __future__ import annotations

from frontdesk.server.app import PUBLIC_PATHS, create_app, serve
from frontdesk.server.state import ServerOptions

__all__ = ["PUBLIC_PATHS", "ServerOptions", "create_app", "serve"]
