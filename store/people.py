"""Who a hirebot user is, as every layer sees them: the directory maps a chat identity to a `Person`, the
scheduler plans meetings for one, and the chat core answers one. It lives in the store because it is a read of
the `User` row, so the scheduler can take one without importing the chat layer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """The asker, already mapped to a hirebot user."""

    workspace_id: int
    user_id: int
    email: str
    display_name: str | None = None
    is_admin: bool = False
    timezone: str | None = None


__all__ = ["Person"]
