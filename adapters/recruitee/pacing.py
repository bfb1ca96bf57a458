"""Client-side pacing for Recruitee, whose rate limits are undocumented and said to be strict.

The reference advises a few requests per second per company and no documented rate-limit headers exist,
so every request waits for its slot here; a 429 is still honoured (adapters/http.py), and if Recruitee
ever sends `X-RateLimit-*` headers the shared layer slows down before the window runs dry as well.
"""

from __future__ import annotations

from adapters.pacing import RequestPacer

DEFAULT_RATE = 4.5  # requests/s: "a few per second", just under the 5/s the fake enforces by default
DEFAULT_BURST = 5

__all__ = ["DEFAULT_BURST", "DEFAULT_RATE", "RequestPacer"]
