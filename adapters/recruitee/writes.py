"""Notes and new candidates written to Recruitee, and the lookups (note by marker, candidate by email)
that tell whether a write whose answer was lost has landed.

Recruitee has no "act as" parameter: every write is made by the token's owner, so `acting_user_id` is
accepted and not used. Notes are rendered as HTML, so the text is escaped and its line breaks become
`<br>`. A new candidate's CV goes by `remote_cv_url` (a link Recruitee downloads, which hirebot serves
signed and single-use) when the outbox passes `resume_url`; with only the file's bytes it is uploaded
after the create through `PATCH /candidates/{id}/update_cv`, the reference's alternative.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from adapters.errors import ConfigError, MalformedResponse
from adapters.http import NOT_SENT_ERRORS, Sleep, parse_retry_after, provider_message
from adapters.models import Candidate, Note
from adapters.recruitee.client import PROVIDER, RecruiteeClient, envelope, single
from adapters.recruitee.fields import as_text, parse_time, strings
from adapters.recruitee.mapping import to_candidate, to_note

log = logging.getLogger(__name__)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def note_html(text: str) -> str:
    """Plain text as Recruitee's note HTML: escaped, each line break a `<br>`."""
    return "<br>".join(html.escape(line, quote=False) for line in text.split("\n"))


def note_text(body: str) -> str:
    """A note's HTML back as plain text (line breaks restored, other tags dropped)."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", body)))


class RecruiteeWrites:
    """One connection's writes, all made as the token's owner."""

    def __init__(self, api: RecruiteeClient, *, sleep: Sleep) -> None:
        self._api = api
        self._sleep = sleep

    # --- notes --------------------------------------------------------------------------------------

    async def create_note(self, note: Note) -> Note:
        candidate_id = as_text(note.candidate_remote_id)
        if candidate_id is None:
            raise ConfigError("A Recruitee note needs the candidate it is about.")
        path = f"/candidates/{candidate_id}/notes"
        reply = await self._api.send("POST", path, json_body={"note": {"body": note_html(note.body),
                                                                       "visibility": {"level": "public"}}})
        row, _ = single(reply, "note", path)
        made = to_note(row, candidate_id, note.body, note.application_remote_id)
        if made is None:
            raise MalformedResponse("Recruitee saved the note but sent back no id.", provider=PROVIDER)
        return made

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        candidate_id = as_text(candidate_remote_id)
        if candidate_id is None:
            raise ConfigError("A Recruitee note needs the candidate it is about.")
        path = f"/candidates/{candidate_id}/notes"
        rows, _ = envelope(await self._api.send("GET", path), "notes", path)
        for row in rows:
            text = note_text(as_text(row.get("body")) or "")
            if marker in text:
                return to_note(row, candidate_id, text)
        return None

    # --- candidates ---------------------------------------------------------------------------------

    async def create_candidate(self, candidate: Candidate, options: Mapping[str, Any]) -> Candidate:
        body = creation_body(candidate, options)
        reply = await self._api.send("POST", "/candidates", json_body=body)
        row, _ = single(reply, "candidate", "/candidates")
        created = to_candidate(row, self._api.company_id)
        if created is None:
            raise MalformedResponse("Recruitee created the candidate but sent back no id.", provider=PROVIDER)
        resume = options.get("resume")
        if resume and not as_text(options.get("resume_url")):
            await self._upload_cv(created.remote_id, resume)
        return created

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        """The quick search is fuzzy, so only hits that hold this exact address count; the newest wins."""
        address = email.strip().lower()
        if not address:
            return None
        path = "/search/new/quick"
        reply = await self._api.send("GET", path, params={"query": address, "only": "candidates",
                                                          "with_emails": "true"})
        hits, _ = envelope(reply, "candidates", path)
        exact = [hit for hit in hits if address in (e.lower() for e in strings(hit.get("emails")))]
        if not exact:
            return None
        newest = max(exact, key=_newest_first)
        return to_candidate(newest, self._api.company_id)

    async def _upload_cv(self, candidate_id: str, resume: Sequence[Any]) -> None:
        """Replace the new candidate's CV with the file (multipart `candidate[cv]`). The candidate already
        exists, so a failure here is logged and the candidate still counts as added."""
        filename, content = str(resume[0]), bytes(resume[1])
        kind = str(resume[2]) if len(resume) > 2 and resume[2] else "application/octet-stream"
        url = f"{self._api.base_url}/candidates/{candidate_id}/update_cv"
        http = self._api.http
        for attempt in range(1, http.policy.max_attempts + 1):
            await self._api.pacer.wait()
            http.requests_sent += 1
            try:
                response = await self._api.client.patch(url, headers=self._api.auth_headers,
                                                        files={"candidate[cv]": (filename, content, kind)},
                                                        timeout=http.policy.timeout)
            except NOT_SENT_ERRORS:
                continue
            except httpx.TransportError as exc:
                log.warning("Recruitee did not answer the CV upload for candidate %s (%s)", candidate_id,
                            type(exc).__name__)
                return
            if response.status_code == 429 and attempt < http.policy.max_attempts:
                wait = parse_retry_after(response.headers.get("Retry-After"), now=0.0)
                await self._sleep(wait if wait is not None else float(attempt))
                continue
            if not response.is_success:
                log.warning("Recruitee refused the CV for candidate %s (%s): %s", candidate_id,
                            response.status_code, provider_message(response) or "no reason given")
            return


def _newest_first(hit: Mapping[str, Any]) -> tuple[float, int]:
    created = parse_time(hit.get("created_at"))
    hit_id = as_text(hit.get("id")) or ""
    return (created.timestamp() if created else 0.0, int(hit_id) if hit_id.isdigit() else 0)


def creation_body(candidate: Candidate, options: Mapping[str, Any]) -> dict[str, Any]:
    """`POST /candidates`: the person, the `hirebot` source and tag, the LinkedIn link among the social
    links, the CV by URL when hirebot serves one, and the offer they are added to."""
    name = " ".join(part for part in (candidate.first_name, candidate.last_name) if part).strip()
    source = as_text(options.get("source_tag")) or as_text(options.get("source"))
    tags = list(dict.fromkeys([*candidate.tags, *(options.get("tags") or ()), *([source] if source else [])]))
    social = [link.value for link in candidate.links if link.value and _social(link.value, link.type)]
    other = [link.value for link in candidate.links if link.value and link.value not in social]
    fields: dict[str, Any] = {
        "name": name or candidate.preferred_name or (candidate.emails[0].value if candidate.emails else ""),
        "emails": [e.value for e in candidate.emails if e.value],
        "phones": [p.value for p in candidate.phones if p.value],
        "social_links": social, "links": other, "sources": [source] if source else [], "tags": tags,
    }
    resume_url = as_text(options.get("resume_url"))
    if resume_url:
        fields["remote_cv_url"] = resume_url
    if not fields["name"]:
        raise ConfigError("Recruitee needs a name for a new candidate.")
    job = as_text(options.get("job_remote_id"))
    body: dict[str, Any] = {"candidate": {k: v for k, v in fields.items() if v not in (None, "", [])}}
    if job:
        body["offers"] = [int(job) if job.isdigit() else job]
    return body


def _social(url: str, kind: str | None) -> bool:
    lowered = url.lower()
    return (kind or "").lower() in ("linkedin", "twitter", "github", "facebook") or any(
        site in lowered for site in ("linkedin.", "twitter.", "github.", "facebook.", "x.com/"))
