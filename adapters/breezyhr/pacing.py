"""Client-side pacing for BreezyHR, which allows 100 requests per 60-second window per token.

The `X-RateLimit-*` headers BreezyHR sends are honoured by adapters.http (it waits for the reset when a
window is spent), but only the reset header's name is confirmed, so hirebot also paces itself just under
the documented rate: a sync then never meets a 429, whichever headers a server sends.
"""

from __future__ import annotations

from adapters.pacing import RequestPacer

DOCUMENTED_PER_MINUTE = 100
DEFAULT_PER_MINUTE = 97.0  # a little under the limit, so our clock and theirs never disagree at a window's edge
DEFAULT_BURST = 8

__all__ = ["DEFAULT_BURST", "DEFAULT_PER_MINUTE", "DOCUMENTED_PER_MINUTE", "RequestPacer"]
