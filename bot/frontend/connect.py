"""Connecting an ATS from chat, the same on every platform: who may connect it for the whole workspace,
credentials checked with the ATS before saving, and the first sync reported to the person who connected.

Front ends draw the form from the provider spec and show what comes back; the sentences are here.
"""

from __future__ import annotations

import logging

from adapters.errors import HirebotError
from adapters.spec import ProviderSpec
from bot.connections import ConnectionInfo, ConnectionService
from bot.messages import Person

log = logging.getLogger(__name__)

CHECK_FAILED = "Something went wrong on my side while checking those credentials. Please try again."


class ConnectFailed(HirebotError):
    """Connecting failed on hirebot's side (logged); the message is safe to show."""


class ConnectFlow:
    """Connects an ATS for a person and runs its first sync."""

    def __init__(self, connections: ConnectionService) -> None:
        self.connections = connections

    @staticmethod
    def scope_for(spec: ProviderSpec, person: Person, requested: str) -> str:
        """Org-wide only for admins, and only for ATSs that can be shared; everyone else connects for themselves."""
        return requested if (spec.org_scope_allowed and person.is_admin) else "user"

    async def connect(self, person: Person, spec: ProviderSpec, values: dict[str, str], *,
                      requested_scope: str) -> ConnectionInfo:
        """Check the credentials with the ATS and save the connection.

        Raises HirebotError with a sentence for the person (ConnectFailed when the fault is hirebot's)."""
        scope = self.scope_for(spec, person, requested_scope)
        try:
            return await self.connections.connect(person, spec.name, values, scope=scope)
        except HirebotError:
            raise
        except Exception:
            log.exception("connecting %s for user %s failed", spec.name, person.user_id)
            raise ConnectFailed(CHECK_FAILED) from None

    async def first_sync(self, info: ConnectionInfo, *, errors_shown_in: str) -> str:
        """Run the connection's first full sync; the sentence telling the person how it went.
        `errors_shown_in` names where the platform shows a connection's latest error (e.g. "the Home tab")."""
        try:
            summary = await self.connections.sync(info.id, full=True)
        except HirebotError as exc:
            return f"The first {info.label} sync didn't finish: {exc}"
        except Exception:
            log.exception("first sync of connection %s failed", info.id)
            return (f"The first {info.label} sync failed on my side. I'll keep trying with the regular syncs; "
                    f"{errors_shown_in} shows the latest error.")
        return (f"{info.label} is synced: {summary.created:,} candidates added, {summary.updated:,} updated, "
                f"{summary.deleted:,} removed. Ask me \"who is <name>?\" any time.")
