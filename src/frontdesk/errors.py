"""Exceptions raised by frontdesk.

    FrontdeskError                 root of everything the library raises on purpose
    ├── ConfigError                the configuration is wrong (file, environment, model id)
    ├── InvalidInput               a caller's input is unusable (empty text, oversize, bad id)
    ├── ModelError                 a model call failed (carries model and, if any, status code)
    │   └── ModelRequestsDisabled  a real provider call was attempted while they are disabled
    └── StoreError                 the persistence layer failed

User errors (`ConfigError`, `InvalidInput`) carry a message that names the problem and the fix;
the CLI prints them without a stack trace.
"""

from __future__ import annotations


class FrontdeskError(Exception):
    """Root of every exception frontdesk raises on purpose."""


class ConfigError(FrontdeskError):
    """The configuration (file, environment variable or model id) is wrong."""


class InvalidInput(FrontdeskError):
    """The caller's input cannot be processed; the message says what was wrong."""


class ModelError(FrontdeskError):
    """A model call failed."""

    def __init__(self, message: str, *, model: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.model = model
        self.status_code = status_code


class ModelRequestsDisabled(ModelError):
    """A request to a remote model provider was attempted while requests are disabled."""


class StoreError(FrontdeskError):
    """The conversation store failed."""
