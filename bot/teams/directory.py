"""The integration directory in the personal chat ("connect", "my integrations"): every ATS from its provider
spec with Add, each connection with its sync state and Remove, a connect form per provider, credentials
checked with the ATS before saving (bot/frontend/connect.py), and the first sync reported when it is done.

Cards change in place: Add turns the directory into that provider's form, Connect into "Checking…" and then
the directory again (or the form with the ATS's reason), Remove into the directory without it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from adapters.errors import HirebotError
from adapters.spec import ProviderSpec
from bot.connections import ConnectionInfo, ConnectionService
from bot.frontend.connect import CHECK_FAILED, ConnectFlow
from bot.messages import Person
from bot.teams.cards import (
    CONNECT_FORM_VERB,
    CONNECT_VERB,
    DIRECTORY_VERB,
    REMOVE_VERB,
    blank_required,
    connect_form_card,
    directory_card,
    note_card,
    read_connect_submission,
)

log = logging.getLogger(__name__)

ERRORS_SHOWN_IN = "\u201cmy integrations\u201d"  # where a connection's latest sync error shows in Teams
PERSONAL_ONLY = "Connect ATSs in our 1:1 chat: open a chat with me and say \u201cconnect\u201d."
_REQUEST = re.compile(r"(?:connect(?:\s+(?:an?\s+)?(?P<what>[\w .-]+?))?|(?:my\s+)?integrations?|(?:my\s+)?connections)"
                      r"[.!?]*", re.IGNORECASE)

Spawn = Callable[[Coroutine[Any, Any, None]], None]
Show = Callable[[dict[str, Any]], Awaitable[None]]  # replaces the card a button was on
Tell = Callable[[str], Awaitable[None]]  # a note to the person in their chat
VERBS = frozenset({DIRECTORY_VERB, CONNECT_FORM_VERB, CONNECT_VERB, REMOVE_VERB})


def directory_request(text: str) -> tuple[bool, str | None]:
    """Whether a message asks for the directory ("connect", "my integrations"), and the ATS named, if any
    ("connect greenhouse")."""
    match = _REQUEST.fullmatch(text.strip())
    if match is None:
        return False, None
    what = (match.group("what") or "").strip().lower() or None
    return True, None if what in (None, "ats", "an ats", "applicant tracking system") else what


class TeamsIntegrations:
    """Draws the directory and carries out its buttons for one person."""

    def __init__(self, connections: ConnectionService, providers: Sequence[ProviderSpec], *, spawn: Spawn) -> None:
        self.connections = connections
        self.flow = ConnectFlow(connections)
        self.providers = tuple(providers)
        self.spawn = spawn

    def provider(self, name: str | None) -> ProviderSpec | None:
        if not name:
            return None
        name = name.strip().lower()
        return next((spec for spec in self.providers
                     if name in (spec.name, spec.label.lower(), *(a.lower() for a in spec.aliases))), None)

    async def directory(self, person: Person, *, note: str | None = None) -> dict[str, Any]:
        infos = await asyncio.to_thread(self.connections.list_for, person)
        return directory_card(self.providers, infos, person, note=note)

    async def opening(self, person: Person, named: str | None) -> dict[str, Any]:
        """The card for "connect" (the directory) or "connect <ATS>" (its form straight away)."""
        spec = self.provider(named)
        if spec is not None:
            return connect_form_card(spec, allow_org=person.is_admin)
        note = f"I don't know an ATS called \u201c{named}\u201d. These are the ones I support:" if named else None
        return await self.directory(person, note=note)

    async def act(self, person: Person, verb: str, data: dict[str, Any], *, show: Show, tell: Tell
                  ) -> dict[str, Any]:
        """The card that replaces the one a directory button was on."""
        if verb == CONNECT_FORM_VERB:
            spec = self.provider(str(data.get("provider") or ""))
            if spec is None:
                return await self.directory(person, note="That ATS isn't one I support any more.")
            return connect_form_card(spec, allow_org=person.is_admin)
        if verb == CONNECT_VERB:
            return await self._connect(person, data, show=show, tell=tell)
        if verb == REMOVE_VERB:
            return await self._remove(person, data)
        return await self.directory(person)

    async def _remove(self, person: Person, data: dict[str, Any]) -> dict[str, Any]:
        try:
            await asyncio.to_thread(self.connections.remove, person, int(str(data.get("connection_id"))))
        except (HirebotError, ValueError) as exc:
            return await self.directory(person, note=f"I couldn't remove that connection: {exc}")
        return await self.directory(person, note="Removed.")

    async def _connect(self, person: Person, data: dict[str, Any], *, show: Show, tell: Tell) -> dict[str, Any]:
        """Blank fields are shown at once; otherwise the card says "Checking…" while the ATS is asked (that can
        take longer than Teams waits for a button), and is replaced by the outcome."""
        submission = read_connect_submission(data)
        spec = self.provider(submission.provider)
        if spec is None:
            return await self.directory(person, note="That ATS isn't one I support any more.")
        blanks = blank_required(spec, submission)
        if blanks:
            return connect_form_card(spec, allow_org=submission.scope_offered, values=submission.values,
                                     scope=submission.scope, blanks=blanks)
        self.spawn(self._check_and_save(person, spec, submission.values, submission.scope,
                                        submission.scope_offered, show=show, tell=tell))
        return note_card(f"Checking the {spec.label} credentials\u2026")

    async def _check_and_save(self, person: Person, spec: ProviderSpec, values: dict[str, str], scope: str,
                              scope_offered: bool, *, show: Show, tell: Tell) -> None:
        try:
            info = await self.flow.connect(person, spec, values, requested_scope=scope)
        except Exception as exc:
            if not isinstance(exc, HirebotError):
                log.exception("connecting %s for user %s failed", spec.name, person.user_id)
            error = str(exc) if isinstance(exc, HirebotError) else CHECK_FAILED
            await show(connect_form_card(spec, allow_org=scope_offered, error=error, values=values, scope=scope))
            return
        who = "everyone in this workspace" if info.scope == "org" else "you"
        await show(await self.directory(person, note=f"{spec.label} is connected for {who}. I'm fetching the "
                                                     "candidates now and will tell you when that's done."))
        self.spawn(self._first_sync(person, info, show=show, tell=tell))

    async def _first_sync(self, person: Person, info: ConnectionInfo, *, show: Show, tell: Tell) -> None:
        report = await self.flow.first_sync(info, errors_shown_in=ERRORS_SHOWN_IN)
        await tell(report)
        await show(await self.directory(person, note=report))
