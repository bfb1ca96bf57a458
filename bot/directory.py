"""Who is asking: workspaces (tenants) and users, created on first contact from any front end."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.db import transaction
from store.models import User, Workspace
from store.people import Person

DEFAULT_WORKSPACE = ("local", "default")
LOCAL_ADMIN_EMAIL = "admin@localhost"


def _person(user: User) -> Person:
    return Person(
        workspace_id=user.workspace_id,
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        is_admin=user.is_admin,
        timezone=user.timezone,
    )


class Directory:
    """Maps chat identities to hirebot users; the only place that creates workspaces and users."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def default_workspace(self) -> Workspace:
        """The workspace of the console, the CLI, and single-workspace Slack mode."""
        return self.workspace_for(*DEFAULT_WORKSPACE, name="Default workspace")

    def workspace_for(self, platform: str, external_id: str, name: str) -> Workspace:
        with transaction(self.sessions) as session:
            found = session.scalar(
                select(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id)
            )
            if found is None:
                found = Workspace(platform=platform, external_id=external_id, name=name, settings={})
                session.add(found)
                session.flush()
            return found

    def person_for(self, workspace_id: int, *, email: str, chat_user_id: str | None = None,
                   display_name: str | None = None, is_admin: bool = False,
                   timezone: str | None = None) -> Person:
        """Find or create the user with this email in the workspace, refreshing what chat told us."""
        email = email.strip().lower()
        with transaction(self.sessions) as session:
            user = session.scalar(select(User).where(User.workspace_id == workspace_id, User.email == email))
            if user is None:
                user = User(workspace_id=workspace_id, email=email, settings={})
                session.add(user)
            if chat_user_id:
                user.chat_user_id = chat_user_id
            if display_name:
                user.display_name = display_name
            if timezone:
                user.timezone = timezone
            user.is_admin = user.is_admin or is_admin
            session.flush()
            return _person(user)

    def local_admin(self, email: str | None = None) -> Person:
        """The CLI's identity: administrator of the default workspace (or `--as EMAIL` there)."""
        workspace = self.default_workspace()
        if email:
            return self.person_for(workspace.id, email=email)
        return self.person_for(workspace.id, email=LOCAL_ADMIN_EMAIL, display_name="Local admin", is_admin=True)

    def workspace_setting(self, workspace_id: int, key: str, default: Any = None) -> Any:
        with self.sessions() as session:
            workspace = session.get(Workspace, workspace_id)
            return default if workspace is None else workspace.settings.get(key, default)

    def set_workspace_setting(self, workspace_id: int, key: str, value: Any) -> None:
        with transaction(self.sessions) as session:
            workspace = session.get(Workspace, workspace_id)
            if workspace is None:
                raise LookupError(f"no workspace {workspace_id}")
            workspace.settings = {**workspace.settings, key: value}
