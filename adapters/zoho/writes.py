"""Writes to Zoho Recruit, each findable again when its answer is lost (the outbox looks before retrying).

Zoho's API acts as the user whose refresh token it is: notes and interviews are made as that user (the
Notes API takes no author). Where a record has an owner field, the organizer's Zoho user (the write
policy's `acting_user_id`) is set as its owner, so the interview and a candidate hirebot adds show up as
theirs. Notes carry the outbox's marker at their end (`find_note` reads the candidate's notes for it);
interviews carry a `[hirebot:<external id>]` line in their comments (`find_interview`); candidates are
found by email through the search endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from adapters.errors import AtsError
from adapters.models import Candidate, Note, ScheduledInterview
from adapters.zoho.client import ZohoClient, check_results
from adapters.zoho.errors import LABEL, PROVIDER, ZohoRejected
from adapters.zoho.layout import ModuleFields
from adapters.zoho.mapping import to_candidate
from adapters.zoho.values import as_mapping, as_text, format_time, parse_time

if TYPE_CHECKING:
    from adapters.zoho.adapter import ZohoAdapter

log = logging.getLogger(__name__)

NOTE_TITLE = "hirebot"
CANCELLED = frozenset({"cancelled", "canceled"})
RESUME_CATEGORY = "Resume"
COVER_LETTER_CATEGORY = "Cover Letter"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def interview_marker(external_event_id: str) -> str:
    return f"[hirebot:{external_event_id}]"


class ZohoWrites:
    """The write calls of one adapter (its client, layout and deep links)."""

    def __init__(self, adapter: ZohoAdapter) -> None:
        self.adapter = adapter

    @property
    def zoho(self) -> ZohoClient:
        return self.adapter.zoho

    # --- notes ----------------------------------------------------------------------------------------

    async def create_note(self, note: Note) -> Note:
        layout = await self.adapter.layout()
        record = {"Note_Title": NOTE_TITLE, "Note_Content": note.body, "Parent_Id": note.candidate_remote_id,
                  "se_module": layout.candidates.module}
        results = await self.zoho.write("POST", "/Notes", {"data": [record]})
        return replace(note, remote_id=_created_id(results, "/Notes"))

    async def find_note(self, candidate_remote_id: str, marker: str) -> Note | None:
        layout = await self.adapter.layout()
        rows = await self.zoho.rows(f"/{layout.candidates.module}/{candidate_remote_id}/Notes", gone_ok=True)
        for row in reversed(rows):
            body = as_text(row.get("Note_Content")) or ""
            if marker in body and as_text(row.get("id")):
                return Note(candidate_remote_id=candidate_remote_id, body=body, remote_id=as_text(row.get("id")),
                            author_remote_id=as_text(as_mapping(row.get("Note_Owner")).get("id")),
                            created_at=parse_time(row.get("Created_Time")))
        return None

    # --- interviews ---------------------------------------------------------------------------------

    def _interview_record(self, fields: ModuleFields, interview: ScheduledInterview, *, candidate_id: str,
                          acting_user_id: str | None, subject: str | None) -> dict[str, Any]:
        job_id = _job_of(interview.application_remote_id)
        comments = "\n".join(filter(None, (interview.video_url, interview_marker(interview.external_event_id)
                                           if interview.external_event_id else None)))
        values: dict[str, Any] = {
            "name": subject or "Interview", "candidate": {"id": candidate_id},
            "job": {"id": job_id} if job_id else None,
            "start": format_time(interview.start), "end": format_time(interview.end),
            "interviewers": [{"id": uid} for uid in interview.interviewer_ids] or None,
            "location": interview.location or interview.video_url, "comments": comments or None,
            "owner": {"id": acting_user_id} if acting_user_id else None,
        }
        return {fields[role]: value for role, value in values.items() if value is not None and fields.get(role)}

    async def create_interview(self, interview: ScheduledInterview, *, acting_user_id: str | None,
                               subject: str | None, candidate_remote_id: str | None) -> ScheduledInterview:
        layout = await self.adapter.layout()
        candidate_id = candidate_remote_id or _candidate_of(interview.application_remote_id)
        record = self._interview_record(layout.interviews, interview, candidate_id=candidate_id,
                                        acting_user_id=acting_user_id, subject=subject)
        path = f"/{layout.interviews.module}"
        results = await self.zoho.write("POST", path, {"data": [record]})
        return replace(interview, remote_id=_created_id(results, path))

    async def update_interview(self, remote_id: str, interview: ScheduledInterview, *, acting_user_id: str | None,
                               subject: str | None, candidate_remote_id: str | None) -> ScheduledInterview:
        layout = await self.adapter.layout()
        candidate_id = candidate_remote_id or _candidate_of(interview.application_remote_id)
        record = self._interview_record(layout.interviews, interview, candidate_id=candidate_id,
                                        acting_user_id=acting_user_id, subject=subject)
        await self.zoho.write("PUT", f"/{layout.interviews.module}/{remote_id}", {"data": [record]})
        return replace(interview, remote_id=remote_id)

    async def cancel_interview(self, remote_id: str) -> None:
        layout = await self.adapter.layout()
        path = f"/{layout.interviews.module}/{remote_id}/action/cancel"
        body = {"data": [{"reason": "Cancelled in hirebot", "feedback": "The meeting was cancelled."}]}
        try:
            await self.zoho.write("PUT", path, body)
        except ZohoRejected as exc:
            if exc.status == 404 or exc.code in ("ALREADY_CANCELLED", "ID_ALREADY_DELETED"):
                return  # already cancelled or gone: what was asked is so
            raise

    async def find_interview(self, external_event_id: str, *, application_remote_id: str | None,
                             candidate_remote_id: str | None) -> ScheduledInterview | None:
        candidate_id = candidate_remote_id or (_candidate_of(application_remote_id) if application_remote_id else None)
        if not candidate_id:
            return None
        layout = await self.adapter.layout()
        fields = layout.interviews
        rows = await self.zoho.rows(f"/{layout.candidates.module}/{candidate_id}/{fields.module}", gone_ok=True)
        marker = interview_marker(external_event_id)
        for row in rows:
            status = (as_text(row.get(fields.get("status") or "Interview_Status")) or "").lower()
            text = " ".join(filter(None, (as_text(row.get(fields.get("comments") or "Comments")),
                                          as_text(row.get(fields.get("location") or "Venue")))))
            if marker not in text or status in CANCELLED or not as_text(row.get("id")):
                continue
            start, end = (parse_time(row.get(fields.get(role) or "")) for role in ("start", "end"))
            if start is None or end is None:
                continue
            return ScheduledInterview(application_remote_id=application_remote_id or candidate_id, start=start,
                                      end=end, external_event_id=external_event_id, remote_id=as_text(row.get("id")))
        return None

    # --- candidates ---------------------------------------------------------------------------------

    async def create_candidate(self, candidate: Candidate, options: Mapping[str, Any]) -> Candidate:
        layout = await self.adapter.layout()
        fields = layout.candidates
        module = fields.module
        source = as_text(options.get("source_tag")) or as_text(options.get("source")) or "hirebot"
        record = _candidate_record(fields, candidate, source, as_text(options.get("acting_user_id")))
        path = f"/{module}"
        results = await self.zoho.write("POST", path, {"data": [record], "trigger": ["workflow"]})
        candidate_id = _created_id(results, path)
        duplicate = any((as_text(r.get("code")) or "").upper() == "DUPLICATE_DATA" for r in results)
        if not duplicate:
            await self._attach(module, candidate_id, options.get("resume"), options.get("resume_url"), RESUME_CATEGORY)
            await self._attach(module, candidate_id, options.get("cover_letter"), options.get("cover_letter_url"),
                               COVER_LETTER_CATEGORY)
        job_id = as_text(options.get("job_remote_id"))
        if job_id:
            link = {"jobids": [job_id], "ids": [candidate_id], "comments": "Added by hirebot"}
            await self.zoho.write("PUT", f"/{module}/actions/associate", {"data": [link]})
            stage = as_text(options.get("stage_id"))
            if stage:
                await self.zoho.write("PUT", f"/{module}/status", {"data": [
                    {"ids": [candidate_id], "jobids": [job_id], "Candidate_Status": stage,
                     "comments": "Set by hirebot"}]})
        tags = (source, *candidate.tags)
        return replace(candidate, remote_id=candidate_id, tags=tuple(dict.fromkeys(tags)),
                       url=self.adapter.candidate_url(candidate_id))

    async def _attach(self, module: str, candidate_id: str, file: Any, url: Any, category: str) -> None:
        """One attachment with its category: the bytes as a multipart upload, or a URL Zoho fetches itself.
        The candidate exists by now, so a failed upload is logged rather than undoing the whole add."""
        path = f"/{module}/{candidate_id}/Attachments"
        try:
            if isinstance(file, Sequence) and not isinstance(file, str | bytes) and len(file) >= 2:
                name, content = str(file[0]), bytes(file[1])
                kind = str(file[2]) if len(file) > 2 and file[2] else "application/octet-stream"
                await self.zoho.upload(path, {"attachments_category": category}, (name, content, kind))
            elif as_text(url):
                reply = await self.zoho.send("POST", path, params={"attachments_category": category,
                                                                   "attachment_url": as_text(url)})
                check_results(reply.data, path)
        except AtsError as exc:
            log.warning("%s: the %s for candidate %s was not attached: %s", LABEL, category.lower(), candidate_id, exc)

    async def find_candidate_by_email(self, email: str) -> Candidate | None:
        address = email.strip()
        if not address:
            return None
        layout = await self.adapter.layout()
        rows = await self.zoho.rows(f"/{layout.candidates.module}/search", params={"email": address})
        email_field = layout.candidates.get("email") or "Email"
        matching = [row for row in rows if (as_text(row.get(email_field)) or "").lower() == address.lower()] or rows
        if not matching:
            return None
        newest = max(matching, key=lambda row: (parse_time(row.get("Created_Time")) or EPOCH,
                                                as_text(row.get("id")) or ""))
        candidate_id = as_text(newest.get("id")) or ""
        return to_candidate(newest, layout.candidates, self.adapter.candidate_url(candidate_id))


def _candidate_record(fields: ModuleFields, candidate: Candidate, source: str, owner: str | None) -> dict[str, Any]:
    email = candidate.emails[0].value if candidate.emails else None
    phone = candidate.phones[0].value if candidate.phones else None
    values: dict[str, Any] = {
        "first_name": candidate.first_name or None, "last_name": candidate.last_name or candidate.first_name or "-",
        "email": email, "mobile": phone, "employer": candidate.company, "title": candidate.title,
        "source": source, "linkedin": candidate.linkedin_url, "owner": {"id": owner} if owner else None,
    }
    record = {fields[role]: value for role, value in values.items() if value is not None and fields.get(role)}
    if candidate.linkedin_url and not fields.get("linkedin") and fields.get("website"):
        record[fields["website"]] = candidate.linkedin_url  # an org without a LinkedIn field keeps it as a website
    return record


def _created_id(results: list[dict[str, Any]], path: str) -> str:
    for item in results:
        found = as_text(as_mapping(item.get("details")).get("id"))
        if found:
            return found
    raise ZohoRejected(f"{LABEL} answered the write to {path} without the new record's id.", status=502,
                       code="NO_ID")


def _candidate_of(application_remote_id: str) -> str:
    return application_remote_id.split(":", 1)[0]


def _job_of(application_remote_id: str) -> str | None:
    _, _, job = application_remote_id.partition(":")
    return job or None


__all__ = ["PROVIDER", "ZohoWrites", "interview_marker"]
