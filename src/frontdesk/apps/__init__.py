"""Applications built on frontdesk, loadable by name (`--app clinic`) or by
`module:function` path (a function taking `Settings` and returning an `App`)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from frontdesk.config import Settings
from frontdesk.errors import ConfigError
from frontdesk.runtime import App
from frontdesk.telemetry import Telemetry

APPS: dict[str, str] = {"clinic": "frontdesk.apps.clinic:build_app"}


def load_app(name: str, settings: Settings) -> App:
    """Build the app called `name` (a registered name or `package.module:function`)."""
    target = APPS.get(name, name)
    module_name, sep, attr = target.partition(":")
    if not sep:
        raise ConfigError(
            f"unknown app {name!r}: use one of {', '.join(sorted(APPS))}, or "
            f"'package.module:function' for your own"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import app module {module_name!r}: {exc}") from exc
    factory: Callable[[Settings], App] | None = getattr(module, attr, None)
    if factory is None:
        raise ConfigError(f"app module {module_name!r} has no function {attr!r}")
    app = factory(settings)
    if settings.traces != "off" or settings.capture_content:
        # FRONTDESK_TRACES / FRONTDESK_CAPTURE_CONTENT configure any app loaded by name
        app.telemetry = Telemetry.from_settings(settings)
    return app
