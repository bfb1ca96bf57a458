"""Who may see candidate details where: the one rule every front end applies before posting an answer.

A private reply (a candidate card, a meeting) goes where others can read it only in a direct conversation
with the asker, or when the workspace admin has chosen to share cards in channels. Anywhere else it goes to
the asker alone (Slack: an ephemeral message; Teams: their 1:1 chat).
"""

from __future__ import annotations

import asyncio

from bot.directory import Directory
from bot.messages import Person
from bot.replies import Reply

SHARE_SETTING = "share_cards_in_channels"


class DetailsRule:
    """Decides, per answer, whether it must reach only the asker."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    async def only_for_asker(self, reply: Reply, person: Person | None, *, in_direct: bool) -> bool:
        """True when `reply` must be shown to the asker alone (reads the workspace setting off the loop)."""
        if not reply.private or in_direct:
            return False
        return not await self.sharing_allowed(person)

    async def sharing_allowed(self, person: Person | None) -> bool:
        if person is None:
            return False
        return bool(await asyncio.to_thread(self.directory.workspace_setting, person.workspace_id,
                                            SHARE_SETTING, False))
