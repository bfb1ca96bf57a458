"""The exception hierarchy shared by every layer, so edges can turn any failure into a helpful sentence."""

from __future__ import annotations


class HirebotError(Exception):
    """Base of every error hirebot raises on purpose; its message is safe to show a user."""


class AtsError(HirebotError):
    """An ATS call failed. `retryable` says whether trying again later may succeed."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False,
                 provider: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.provider = provider


class RateLimited(AtsError):
    """The ATS asked us to slow down; `retry_after` is in seconds."""

    def __init__(self, message: str, *, retry_after: float, provider: str | None = None) -> None:
        super().__init__(message, status=429, retryable=True, provider=provider)
        self.retry_after = retry_after


class AuthError(AtsError):
    """Credentials were refused (401) or lack a permission (403)."""

    def __init__(self, message: str, *, status: int | None = None, provider: str | None = None) -> None:
        super().__init__(message, status=status, retryable=False, provider=provider)


class MalformedResponse(AtsError):
    """The ATS answered with a body we cannot read; the page it belongs to is not stored."""

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        super().__init__(message, status=None, retryable=True, provider=provider)


class NotSupported(HirebotError):
    """The provider cannot do what was asked; `capability` names what is missing."""

    def __init__(self, capability: str, provider: str) -> None:
        super().__init__(f"{provider} does not support {capability.replace('_', ' ')}.")
        self.capability = capability
        self.provider = provider


class ConfigError(HirebotError):
    """Settings are missing or invalid; the message says how to fix them."""
