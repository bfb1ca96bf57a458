"""Recruitee through its company API (`https://api.recruitee.com/c/{company_id}`): the read path for sync,
notes and new candidates written back as the token's owner, and webhook checks.

The candidate id is hirebot's candidate key and each placement (candidate on an offer) an application;
stage and offer names come from the answers' `references[]` (`mapping`). Requests are paced on our side
because Recruitee documents no limits (`pacing`) and go through adapters.http for retries and 429s
(`client`). Writes (`writes`) have no "act as": everything is the token owner's. Unsure writes are looked
up before they are made again: `find_note` by the marker at the end of the note, `find_candidate_by_email`
through the quick search, keeping only exact email matches.

Interview events are not written: the public reference gives only their create call, with unconfirmed
fields, and nothing to move, cancel or find one, so a booking's note carries its time, interviewers and
place instead (docs/providers.md).

The modules: `adapter`, `client`, `pacing`, `fields`, `mapping`, `writes`, `webhooks`, `policy`, `spec`.
"""

from adapters.recruitee.adapter import DEFAULT_BASE_URL, RecruiteeAdapter, base_url_for
from adapters.recruitee.client import PAGE_SIZE
from adapters.recruitee.pacing import DEFAULT_BURST, DEFAULT_RATE, RequestPacer
from adapters.recruitee.webhooks import (
    CANDIDATE_EVENTS,
    DELETE_EVENTS,
    SIGNATURE_HEADER,
    is_test_delivery,
    parse_webhook,
    sign,
    verify_webhook_signature,
)
from adapters.recruitee.writes import creation_body, note_html, note_text

__all__ = [
    "CANDIDATE_EVENTS",
    "DEFAULT_BASE_URL",
    "DEFAULT_BURST",
    "DEFAULT_RATE",
    "DELETE_EVENTS",
    "PAGE_SIZE",
    "SIGNATURE_HEADER",
    "RecruiteeAdapter",
    "RequestPacer",
    "base_url_for",
    "creation_body",
    "is_test_delivery",
    "note_html",
    "note_text",
    "parse_webhook",
    "sign",
    "verify_webhook_signature",
]
