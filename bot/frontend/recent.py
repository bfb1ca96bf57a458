"""The event ids a front end has seen lately, so a platform's quick redelivery is dropped before it is queued.

Only this process's memory: a redelivery that reaches another process is caught by the desk's shared
receipts (store/event_receipts.py).
"""

from __future__ import annotations

from collections import OrderedDict

RECENT_KEPT = 10_000


class RecentKeys:
    """The last `kept` keys seen, oldest forgotten first."""

    def __init__(self, kept: int = RECENT_KEPT) -> None:
        self.kept = kept
        self._keys: OrderedDict[str, None] = OrderedDict()

    def repeat(self, key: str) -> bool:
        """True when `key` was seen lately; otherwise remember it and say False."""
        if key in self._keys:
            return True
        self._keys[key] = None
        if len(self._keys) > self.kept:
            self._keys.popitem(last=False)
        return False
