"""What a verified ATS webhook asks hirebot to do, in one shape for every provider.

Webhook payloads are triggers, not data: the endpoint verifies the delivery with the provider's own
check, turns it into a `WebhookTrigger`, and then re-reads the named candidates through the adapter
(`fetch_candidates`), removes the deleted ones and, when asked, refreshes jobs and stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class WebhookTrigger:
    """One delivery's work.

    `candidate_ids` are remote candidate ids to re-read; `deleted_candidate_ids` are ids the provider
    says no longer exist (after a merge, the merged-away record is here and the survivor is in
    `candidate_ids`); `refresh_jobs` asks for jobs and stages to be read again. An event hirebot has no
    use for (or does not know) gives a trigger with nothing to do.
    """

    provider: str
    event: str
    candidate_ids: tuple[str, ...] = ()
    deleted_candidate_ids: tuple[str, ...] = ()
    refresh_jobs: bool = False
    delivery_id: str | None = None
    occurred_at: datetime | None = None

    @property
    def has_work(self) -> bool:
        return bool(self.candidate_ids or self.deleted_candidate_ids or self.refresh_jobs)
