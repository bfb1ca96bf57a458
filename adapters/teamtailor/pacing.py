"""Client-side pacing for Teamtailor: its numeric limit is undocumented (the rate-limit headers were once
static placeholders), so requests are also spaced to about 2 per second per key, as the reference advises."""

from __future__ import annotations

from adapters.pacing import RequestPacer

DEFAULT_RATE = 2.0  # requests/s per key
DEFAULT_BURST = 2

__all__ = ["DEFAULT_BURST", "DEFAULT_RATE", "RequestPacer"]
