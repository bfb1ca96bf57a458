"""Booking links are credentials (scheduler/tokens.py): whoever holds one can book, move or cancel the
candidate's interview. Logs are read by more people and kept longer than mail, so wherever a booking path
could be logged (the web server's access log, the mail outbox, the booking pages' warnings) its token is
replaced by a short hash: enough to match log lines of one link with each other, useless to open the page.
"""

from __future__ import annotations

import hashlib
import re

from adapters.webhooks import URL_SECRET_PARAM

# A token is whatever follows /book/ up to the next separator: a mangled or forged one is hidden too.
_BOOKING_PATH = re.compile(r"(/book/)([^/?#\s\"'<>]+)")
# A CV download link (`/files/<token>`, store/document_links.py) is a credential too.
_FILE_PATH = re.compile(r"(/files/)([^/?#\s\"'<>]+)")
# A webhook URL may carry its connection's secret (WebhookScheme.URL_SECRET, for ATSs that cannot sign).
_WEBHOOK_SECRET = re.compile(r"(/webhooks/[^?#\s\"'<>]*\?(?:[^#\s\"'<>]*&)?" + re.escape(URL_SECRET_PARAM)
                             + r"=)([^&#\s\"'<>]+)")


def token_label(token: str) -> str:
    """What a log shows for a token: the first 8 hex digits of its SHA-256, then an ellipsis."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:8] + "…"


def redact_booking_links(text: str) -> str:
    """`text` with the token of every booking path in it (`/book/<token>`, `/book/<token>/manage`, full
    URLs alike) replaced by its label; so are CV download links and the secret of every webhook URL that
    carries one."""
    text = _BOOKING_PATH.sub(lambda match: match.group(1) + token_label(match.group(2)), text)
    text = _FILE_PATH.sub(lambda match: match.group(1) + token_label(match.group(2)), text)
    return _WEBHOOK_SECRET.sub(lambda match: match.group(1) + token_label(match.group(2)), text)


__all__ = ["redact_booking_links", "token_label"]
