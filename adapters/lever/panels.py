"""hirebot's meetings as Lever panels: the panel body, the marker that finds a panel again after a lost
answer (a URL goes to `externalUrl`, a calendar UID to a `[hirebot:<uid>]` last line of the note), and a
panel read back as a ScheduledInterview."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adapters.errors import ConfigError, MalformedResponse
from adapters.lever.fields import as_text, from_ms, id_of, to_ms
from adapters.lever.remote_ids import join_remote_id
from adapters.models import ScheduledInterview

DEFAULT_SUBJECT = "Interview scheduled with hirebot"


def panel_body(interview: ScheduledInterview, subject: str | None, note: str | None,
               application_id: str | None = None) -> dict[str, Any]:
    if not interview.interviewer_ids:
        raise ConfigError("Lever needs at least one interviewer who is a Lever user, and none was given: invite "
                          "someone with a Lever account (hirebot matches them by email).")
    minutes = max(1, round((interview.end - interview.start).total_seconds() / 60))
    entry: dict[str, Any] = {
        "subject": subject or DEFAULT_SUBJECT, "date": to_ms(interview.start), "duration": minutes,
        "interviewers": [{"id": user_id} for user_id in interview.interviewer_ids],
    }
    where = interview.video_url or interview.location
    if where:
        entry["location"] = where
    if note:
        entry["note"] = note
    if interview.interview_remote_id:
        entry["feedbackTemplate"] = interview.interview_remote_id
    body: dict[str, Any] = {"timezone": _zone_name(interview.start), "feedbackReminder": "frequently",
                            "interviews": [entry]}
    external = as_text(interview.external_event_id)
    panel_note = note
    if external and _is_url(external):
        body["externalUrl"] = external
    elif external:  # a calendar UID has no field of its own: a last line of the note makes the panel findable
        panel_note = f"{note}\n\n{panel_marker(external)}" if note else panel_marker(external)
    if panel_note:
        body["note"] = panel_note
    if application_id:
        body["applications"] = [application_id]
    return body


def panel_marker(external_event_id: str) -> str:
    """The line hirebot ends a panel's note with, so `find_interview_by_external_id` can find the panel."""
    return f"[hirebot:{external_event_id.strip()}]"


def made_for(panel: Mapping[str, Any], external_event_id: str) -> bool:
    """Whether hirebot made `panel` for the meeting `external_event_id` (by externalUrl or note marker)."""
    wanted = external_event_id.strip()
    if wanted and as_text(panel.get("externalUrl")) == wanted:
        return True
    marker = panel_marker(wanted)
    return any(line.strip() == marker for line in str(panel.get("note") or "").splitlines())


def to_scheduled(panel: Mapping[str, Any], opportunity_id: str, sent: ScheduledInterview | None, *,
                 external_event_id: str | None = None) -> ScheduledInterview:
    """A panel as a ScheduledInterview whose `remote_id` is "opportunityId:panelId". Fields Lever leaves out
    come from `sent`, the interview just written, or (when found by lookup) from the panel's first interview."""
    panel_id = as_text(panel.get("id"))
    if panel_id is None:
        raise MalformedResponse("Lever saved the interview but did not say its id.", provider="lever")
    interviews = [i for i in panel.get("interviews") or [] if isinstance(i, dict)]
    first = interviews[0] if interviews else {}
    interviewers = tuple(dict.fromkeys(
        uid for i in interviews for p in i.get("interviewers") or [] if isinstance(p, dict)
        for uid in [as_text(p.get("id"))] if uid)) or (sent.interviewer_ids if sent else ())
    start = from_ms(panel.get("start")) or (sent.start if sent else None)
    end = from_ms(panel.get("end")) or (sent.end if sent else None)
    if start is None or end is None:
        raise MalformedResponse(f"Lever sent panel {panel_id} without its start and end.", provider="lever")
    linked = next((a for a in map(id_of, panel.get("applications") or []) if a), None)
    return ScheduledInterview(
        application_remote_id=(sent.application_remote_id if sent else linked) or opportunity_id,
        start=start, end=end,
        interview_remote_id=sent.interview_remote_id if sent else as_text(first.get("feedbackTemplate")),
        interviewer_ids=interviewers, location=sent.location if sent else as_text(first.get("location")),
        video_url=sent.video_url if sent else None,
        external_event_id=sent.external_event_id if sent else external_event_id,
        remote_id=join_remote_id(opportunity_id, panel_id),
        status="canceled" if panel.get("canceledAt") else "scheduled",
    )


def _is_url(value: str) -> bool:
    return value.startswith(("https://", "http://"))


def _zone_name(moment: datetime) -> str:
    """Lever wants an IANA zone for display; the instant itself travels as epoch milliseconds."""
    zone = moment.tzinfo
    return zone.key if isinstance(zone, ZoneInfo) else "UTC"
