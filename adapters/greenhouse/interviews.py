"""Scheduled interviews on Greenhouse applications: create, move, cancel and find them again, and the
lookups scheduling needs (the current stage's interview step, a job's hiring managers)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from adapters.errors import AtsError, MalformedResponse
from adapters.greenhouse.bodies import INTERVIEWS_ROUTE, interview_body, interview_route, panel_ids
from adapters.greenhouse.client import IDS_PER_REQUEST, HarvestClient, chunks
from adapters.greenhouse.fields import as_id, as_text, first_of, int_id
from adapters.greenhouse.mapping import sort_order, to_interview, to_scheduled, to_user
from adapters.models import Interview, RemoteUser, ScheduledInterview

log = logging.getLogger(__name__)


async def create_interview(harvest: HarvestClient, interview: ScheduledInterview, *,
                           acting_user_id: str | None) -> ScheduledInterview:
    """Schedule it on the application (the acting user organizes); an unreadable answer is looked up by
    the interview's `external_event_id` before giving up."""
    step = interview.interview_remote_id or await _required_step(harvest, interview.application_remote_id)
    body = interview_body(interview, organizer=harvest.actor(acting_user_id), job_interview_id=step)
    try:
        reply = await harvest.write("POST", INTERVIEWS_ROUTE, body, acting_user_id,
                                    doing=f"schedule an interview on application "
                                          f"{interview.application_remote_id}")
        created = to_scheduled(reply.data, panel_ids(body)) if isinstance(reply.data, dict) else None
    except MalformedResponse:
        created = None
    if created is None:
        created = await find_interview_by_external_id(
            harvest, str(interview.external_event_id), application_remote_id=interview.application_remote_id)
    if created is None:
        raise AtsError("Greenhouse took the interview but its answer could not be read, and it is not "
                       "listed yet; check the application before scheduling it again.",
                       provider="greenhouse")
    return created


async def update_interview(harvest: HarvestClient, remote_id: str, interview: ScheduledInterview, *,
                           acting_user_id: str | None) -> ScheduledInterview:
    body = interview_body(interview, organizer=harvest.actor(acting_user_id), job_interview_id=None)
    reply = await harvest.write("PATCH", interview_route(remote_id), body, acting_user_id,
                                doing=f"update interview {remote_id}")
    updated = to_scheduled(reply.data, panel_ids(body)) if isinstance(reply.data, dict) else None
    return updated or replace(interview, remote_id=str(remote_id))


async def delete_interview(harvest: HarvestClient, remote_id: str, *, acting_user_id: str | None) -> None:
    """One that is already gone counts as deleted, so a retry after a lost answer succeeds."""
    try:
        await harvest.write("DELETE", interview_route(remote_id), None, acting_user_id,
                            doing=f"delete interview {remote_id}")
    except AtsError as exc:
        if exc.status != 404:
            raise
        log.info("Greenhouse interview %s was already gone", remote_id)


async def list_interviews(harvest: HarvestClient, application_remote_id: str) -> list[ScheduledInterview]:
    filters = {"application_ids": int_id(application_remote_id, "application")}
    rows = [row async for page in harvest.pages("/v3/interviews", filters) for row in page]
    return await _with_panels(harvest, rows)


async def find_interview_by_external_id(harvest: HarvestClient, external_event_id: str, *,
                                        application_remote_id: str | None) -> ScheduledInterview | None:
    """With the application, its interviews are listed and matched here (works whatever filters v3
    supports); without, the `external_event_id` filter is used (v1 had it; v3's is unconfirmed)."""
    filters: dict[str, Any]
    if application_remote_id is not None:
        filters = {"application_ids": int_id(application_remote_id, "application")}
    else:
        filters = {"external_event_id": external_event_id}
    async for rows in harvest.pages("/v3/interviews", filters):
        found = [row for row in rows if row.get("external_event_id") == external_event_id]
        if found:
            interviews = await _with_panels(harvest, found[:1])
            return interviews[0] if interviews else None
    return None


async def current_stage_interview(harvest: HarvestClient, application_remote_id: str) -> Interview | None:
    app = await _application_row(harvest, application_remote_id)
    stage_id = as_id(first_of(app, "stage_id", "job_interview_stage_id"))
    if stage_id is None:
        return None
    filters = {"job_interview_stage_ids": stage_id}
    steps = [row async for page in harvest.pages("/v3/job_interviews", filters) for row in page]
    steps.sort(key=lambda row: (sort_order(row), as_id(row.get("id")) or ""))
    for interview in map(to_interview, steps):
        if interview is not None and interview.schedulable:
            return interview
    return None


async def hiring_managers(harvest: HarvestClient, job_remote_id: str) -> list[RemoteUser]:
    filters = {"job_ids": int_id(job_remote_id, "job")}
    ids = [as_id(row.get("user_id")) async for page in harvest.pages("/v3/job_hiring_managers", filters)
           for row in page]
    wanted = list(dict.fromkeys(uid for uid in ids if uid))
    users = await _read_users(harvest, wanted)
    return [users[uid] for uid in wanted if uid in users]


async def _required_step(harvest: HarvestClient, application_remote_id: str) -> str:
    step = await current_stage_interview(harvest, application_remote_id)
    if step is None:
        # 422: the same request stays refused until someone moves the application on in Greenhouse.
        raise AtsError(f"Application {application_remote_id}'s current stage in Greenhouse has no "
                       "interview that can be scheduled; move it to an interview stage or pick the "
                       "interview.",
                       status=422, provider="greenhouse")
    return step.remote_id


async def _application_row(harvest: HarvestClient, application_remote_id: str) -> dict[str, Any]:
    filters = {"ids": int_id(application_remote_id, "application")}
    async for rows in harvest.pages("/v3/applications", filters):
        if rows:
            return rows[0]
    raise AtsError(f"Greenhouse has no application {application_remote_id}.", status=404,
                   provider="greenhouse")


async def _with_panels(harvest: HarvestClient, rows: Sequence[dict[str, Any]]) -> list[ScheduledInterview]:
    panels: dict[str, list[str]] = {}
    ids = [iid for iid in dict.fromkeys(as_id(row.get("id")) for row in rows) if iid]
    for chunk in chunks(ids, IDS_PER_REQUEST):
        async for page in harvest.pages("/v3/interviewers", {"interview_ids": ",".join(chunk)}):
            for person in page:
                who = as_id(person.get("user_id")) or as_text(person.get("email"))
                interview_id = as_id(person.get("interview_id"))
                if who and interview_id:
                    panels.setdefault(interview_id, []).append(who)
    mapped = (to_scheduled(row, tuple(panels.get(as_id(row.get("id")) or "", ()))) for row in rows)
    return [interview for interview in mapped if interview]


async def _read_users(harvest: HarvestClient, ids: Sequence[str]) -> dict[str, RemoteUser]:
    emails: dict[str, list[str]] = {}
    users: dict[str, RemoteUser] = {}
    for chunk in chunks(ids, IDS_PER_REQUEST):
        async for rows in harvest.pages("/v3/user_emails", {"user_ids": ",".join(chunk)}):
            for row in rows:
                user_id = as_id(row.get("user_id"))
                email = as_text(first_of(row, "email", "value", "email_address"))
                if user_id and email:
                    emails.setdefault(user_id, []).append(email)
        async for rows in harvest.pages("/v3/users", {"ids": ",".join(chunk)}):
            for user in (to_user(row, emails) for row in rows):
                if user:
                    users[user.remote_id] = user
    return users
