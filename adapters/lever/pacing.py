"""Client-side pacing for Lever, which documents 10 requests/s per key and sends no rate-limit headers."""

from __future__ import annotations

from adapters.pacing import RequestPacer

DEFAULT_RATE = 9.5  # requests/s: just under Lever's 10/s, so our pacing and theirs never disagree
DEFAULT_BURST = 10

__all__ = ["DEFAULT_BURST", "DEFAULT_RATE", "RequestPacer"]
