"""Exceptions raised by frontdesk.

    FrontdeskError                 root of everything the library raises on purpose
    ├── ConfigError                the configuration is wrong (file, environment, model id)
    ├── ConversationBusy           another message of the conversation holds its lease (HTTP 409)
    │   └── LeaseLost              a turn lost its lease mid-way and was stopped
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


class ConversationBusy(FrontdeskError):
    """Another message of the same conversation is being processed, here or in another process
    sharing the store, and it did not finish within the wait (`App(lease_wait_s=…)`). When this
    exact class is raised, nothing of the refused message was stored and the caller may retry it.
    Maps to HTTP 409 Conflict."""

    def __init__(self, message: str, *, conversation_id: str, waited_s: float = 0.0) -> None:
        super().__init__(message)
        self.conversation_id = conversation_id
        self.waited_s = waited_s


class LeaseLost(ConversationBusy):
    """A turn could not renew its conversation lease (the store was unreachable for longer than
    the lease's time to live, or another owner took it over) and was stopped, so that two
    writers never interleave. The user message may be stored without a reply."""


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
