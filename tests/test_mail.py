"""Scheduling mail through a real SMTP server (aiosmtpd on loopback) and the .eml outbox.

The meeting emails are produced the way production produces them: the real MeetingService plans jobs, the
real dispatcher runs them through `scheduler.emails.build_email` and the `Mailer`, and the SMTP server
captures what arrives. Invitations are parsed back with icalendar.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from icalendar import Calendar
from sqlalchemy import Engine

from adapters.errors import ConfigError
from scheduler.emails import DEFAULT_SENDER, build_email
from scheduler.log_redaction import redact_booking_links
from scheduler.mail import MailAuthError, Mailer, MailError, SmtpServer, eml_file_name, parse_smtp_url
from scheduler.tokens import read_token
from tests.ports import free_port
from tests.rigs.scheduling_world import TOKEN_KEY, VIDEO_LINK, SchedulingWorld

USER, PASSWORD = "hirebot", "s3cret-Pa55"
# The capturing server is loopback-only and takes a login without TLS on purpose: our client is under test.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@dataclass
class Captured:
    mail_from: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class CapturingServer:
    """What the loopback SMTP server received, in order."""

    host: str
    port: int
    received: list[Captured] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Captured(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def take(self) -> list[Captured]:
        taken, self.received = self.received, []
        return taken

    def server(self, password: str = PASSWORD) -> SmtpServer:
        return SmtpServer(host=self.host, port=self.port, username=USER, password=password)


def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                 auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # unhandled: the server itself answers 535


@pytest.fixture
def smtp() -> Iterator[CapturingServer]:
    capture = CapturingServer("127.0.0.1", free_port())
    controller = Controller(capture, hostname=capture.host, port=capture.port, authenticator=authenticate,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        yield capture
    finally:
        controller.stop()


@pytest.fixture
def world(sqlite_engine: Engine, smtp: CapturingServer) -> SchedulingWorld:
    return SchedulingWorld.build(sqlite_engine, mailer=Mailer(smtp=smtp.server()))


def by_recipient(batch: list[Captured]) -> dict[str, Captured]:
    found: dict[str, Captured] = {}
    for captured in batch:
        assert len(captured.recipients) == 1
        found[captured.recipients[0]] = captured
    return found


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


def calendar_of(message: EmailMessage) -> tuple[str, Any]:
    """The inline text/calendar part (the one mail programs act on): its method parameter and its event."""
    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    calendar = Calendar.from_ical(parts[0].get_content())
    assert calendar["METHOD"] == parts[0].get_param("method")
    attachment = next(part for part in message.walk() if part.get_filename())
    assert Calendar.from_ical(attachment.get_content())["METHOD"] == calendar["METHOD"]
    return str(calendar["METHOD"]), calendar.walk("VEVENT")[0]


def booking_link(text: str, public_url: str) -> str:
    match = re.search(re.escape(public_url) + r"/book/[A-Za-z0-9_-]+(/manage)?", text)
    assert match, text
    return match.group(0)


# -- the meeting's mail, end to end ------------------------------------------------------------------------


async def test_the_request_email_reaches_the_candidate_with_a_working_booking_link(
        world: SchedulingWorld, smtp: CapturingServer) -> None:
    view = await world.request()
    assert await world.scheduling.dispatcher.run_due() == 1

    [captured] = smtp.take()
    message = captured.message
    assert captured.recipients == ["jane.doe@example.com"]
    assert captured.mail_from == "hirebot@localhost"
    assert message["From"] == DEFAULT_SENDER
    assert message["To"] == "Jane Doe <jane.doe@example.com>"
    assert message["Reply-To"] == f"Ana Ruiz <{world.organizer.email}>"
    assert message["Subject"] == "Choose a time for your interview: Senior Backend Engineer"
    text = text_of(message)
    assert text.startswith("Hi Jane,")
    for expected in ("Senior Backend Engineer", "30-minute", "Ana Ruiz and Bo Chen", "Tuesday 3 March",
                     "Monday 9 March", VIDEO_LINK):
        assert expected in text
    link = booking_link(text, world.public_url)
    claims = read_token(link.rsplit("/", 1)[-1], key=TOKEN_KEY, now=world.clock())
    assert (claims.meeting_id, claims.purpose) == (view.id, "book")
    assert f'href="{link}"' in html_of(message)
    assert message["Message-ID"].endswith("@127.0.0.1>")


async def test_booking_sends_invitations_then_updates_and_a_cancellation_of_one_event(
        world: SchedulingWorld, smtp: CapturingServer) -> None:
    view = await world.request()
    await world.scheduling.dispatcher.run_due()
    smtp.take()
    candidate, organizer, interviewer = "jane.doe@example.com", world.organizer.email, world.interviewer_email

    booked = await world.service.select_time(view.id, view.slots[0], candidate_timezone="Europe/Berlin")
    await world.scheduling.dispatcher.run_due()
    invites = by_recipient(smtp.take())
    assert set(invites) == {candidate, organizer, interviewer}
    assert invites[candidate].message["Subject"] == (
        "Confirmed: your interview on Tue 3 Mar, 10:00 (Europe/Berlin)")
    assert "Tuesday 3 March 2026, 10:00 – 10:30 (Europe/Berlin)" in text_of(invites[candidate].message)
    assert invites[organizer].message["Subject"] == (
        "Booked: Interview: Jane Doe, Senior Backend Engineer on Tue 3 Mar, 09:00 (UTC)")
    manage = booking_link(text_of(invites[candidate].message), world.public_url)
    assert manage.endswith("/manage")
    assert "/book/" not in text_of(invites[interviewer].message)  # only the candidate may move it
    methods = {who: calendar_of(captured.message) for who, captured in invites.items()}
    assert {method for method, _ in methods.values()} == {"REQUEST"}
    uid = methods[candidate][1]["UID"]
    assert uid == booked.calendar_uid
    assert {str(event["UID"]) for _, event in methods.values()} == {uid}
    assert {event["SEQUENCE"] for _, event in methods.values()} == {0}
    assert methods[candidate][1].decoded("DTSTART") == view.slots[0]

    moved = await world.service.reschedule(view.id, actor="organizer", new_start=view.slots[3])
    await world.scheduling.dispatcher.run_due()
    updates = by_recipient(smtp.take())
    assert set(updates) == {candidate, organizer, interviewer}
    assert updates[candidate].message["Subject"].startswith("New time: your interview on Wed 4 Mar")
    method, event = calendar_of(updates[interviewer].message)
    assert (method, str(event["UID"])) == ("REQUEST", uid)
    assert moved.calendar_sequence is not None and moved.calendar_sequence > 0
    assert event["SEQUENCE"] == moved.calendar_sequence
    assert event.decoded("DTSTART") == view.slots[3]

    world.service.cancel(view.id, actor="organizer", reason="The role was filled")
    await world.scheduling.dispatcher.run_due()
    cancels = by_recipient(smtp.take())
    assert set(cancels) == {candidate, organizer, interviewer}
    method, event = calendar_of(cancels[candidate].message)
    assert (method, str(event["UID"]), str(event["STATUS"])) == ("CANCEL", uid, "CANCELLED")
    assert event["SEQUENCE"] > moved.calendar_sequence
    assert "The role was filled" not in text_of(cancels[candidate].message)  # internal reasons stay internal
    assert "The role was filled" in text_of(cancels[interviewer].message)


async def test_follow_ups_get_shorter_and_the_day_of_reminder_is_in_the_candidates_zone(
        world: SchedulingWorld, smtp: CapturingServer) -> None:
    view = await world.request(window=(world.clock() + timedelta(hours=1), world.clock() + timedelta(days=9)))
    await world.scheduling.dispatcher.run_due()
    smtp.take()

    world.clock.advance(days=1)
    await world.scheduling.dispatcher.run_due()
    [first] = smtp.take()
    world.clock.advance(days=2)
    await world.scheduling.dispatcher.run_due()
    [second] = smtp.take()
    assert first.message["Subject"] == "Reminder: choose a time for your interview"
    assert len(text_of(second.message)) < len(text_of(first.message))
    assert booking_link(text_of(second.message), world.public_url)

    later = [slot for slot in world.service.view(view.id).slots if slot > world.clock() + timedelta(days=1)]
    booked = await world.service.select_time(view.id, later[0], candidate_timezone="America/New_York")
    await world.scheduling.dispatcher.run_due()
    smtp.take()
    assert booked.booked_start is not None
    world.clock.now = booked.booked_start - timedelta(minutes=1)
    await world.scheduling.dispatcher.run_due()
    [reminder] = smtp.take()
    local = booked.booked_start.astimezone(ZoneInfo("America/New_York"))
    assert reminder.message["Subject"] == f"Today at {local:%H:%M}: your interview"
    text = text_of(reminder.message)
    assert "(America/New York)" in text and VIDEO_LINK in text
    assert booking_link(text, world.public_url).endswith("/manage")


async def test_wrong_smtp_password_is_a_clear_error_without_the_password(
        world: SchedulingWorld, smtp: CapturingServer) -> None:
    mailer = Mailer(smtp=smtp.server(password="not-the-password"))
    view = await world.request()
    message = build_email("request_email", view, public_url=world.public_url, to=view.candidate.email)

    with pytest.raises(MailAuthError) as caught:
        await mailer.send_async(message)
    assert "refused the login for 'hirebot'" in str(caught.value)
    assert "HIREBOT_SMTP_URL" in str(caught.value)
    assert "not-the-password" not in str(caught.value) and not caught.value.retryable
    assert smtp.received == []


def test_an_unreachable_server_is_retryable_and_names_no_secret() -> None:
    mailer = Mailer(smtp=SmtpServer("127.0.0.1", free_port(), username=USER, password=PASSWORD), timeout=3)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "hello"
    message.set_content("hi")

    with pytest.raises(MailError) as caught:
        mailer.send(message)
    assert caught.value.retryable
    assert "connection refused" in str(caught.value)
    assert PASSWORD not in str(caught.value)


# -- the message itself ------------------------------------------------------------------------------------


async def test_a_retried_job_builds_the_same_message_id(world: SchedulingWorld) -> None:
    view = await world.booked()

    def build(to: str, key: str | None = None) -> EmailMessage:
        return build_email("invite_email", view, public_url=world.public_url, to=to, key=key)

    assert build(view.candidate.email)["Message-ID"] == build(view.candidate.email)["Message-ID"]
    assert build(view.candidate.email)["Message-ID"] != build(world.interviewer_email)["Message-ID"]
    jane = view.candidate.email
    assert build(jane, "job:7")["Message-ID"] == build(jane, "job:7")["Message-ID"]
    assert build(jane, "job:7")["Message-ID"] != build(jane, "job:8")["Message-ID"]


async def test_typed_text_reaches_the_html_escaped(sqlite_engine: Engine, tmp_path: Path) -> None:
    world = SchedulingWorld.build(sqlite_engine, mailer=Mailer(outbox=tmp_path),
                                  candidate_name=("<script>alert(1)</script>", "O'Hara & \"Sons\""))
    view = await world.booked(location='https://meet.example.com/x"><img src=x onerror=alert(2)>')
    for kind, to in (("invite_email", view.candidate.email), ("invite_email", world.interviewer_email),
                     ("dayof_reminder", view.candidate.email)):
        page = html_of(build_email(kind, view, public_url=world.public_url, to=to))
        assert "<script>" not in page and "<img" not in page
        assert "&lt;script&gt;" in page or kind == "dayof_reminder"


async def test_the_sender_comes_from_hirebot_mail_from(world: SchedulingWorld,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIREBOT_MAIL_FROM", "Acme Recruiting <jobs@acme.test>")
    view = await world.request()
    message = build_email("request_email", view, public_url=world.public_url, to=view.candidate.email)
    assert message["From"] == "Acme Recruiting <jobs@acme.test>"
    assert message["Auto-Submitted"] == "auto-generated"
    with pytest.raises(ValueError, match="candidate only"):
        build_email("request_email", view, public_url=world.public_url, to=world.interviewer_email)


# -- the .eml outbox ---------------------------------------------------------------------------------------


async def test_the_outbox_writes_each_message_once_and_logs_a_hash_of_the_booking_link(
        sqlite_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outbox = tmp_path / "outbox-mail"
    world = SchedulingWorld.build(sqlite_engine, mailer=Mailer(outbox=outbox))
    view = await world.request()
    message = build_email("request_email", view, public_url=world.public_url, to=view.candidate.email,
                          key="k1")
    mailer = Mailer(outbox=outbox)

    with caplog.at_level(logging.INFO, logger="scheduler.mail"):
        first = mailer.send(message)
        again = mailer.send(build_email("request_email", view, public_url=world.public_url,
                                        to=view.candidate.email, key="k1"))
    assert first == again
    files = sorted(outbox.iterdir())
    assert [path.name for path in files] == [eml_file_name(first)]
    stored = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert stored["Message-ID"] == first
    link = booking_link(text_of(stored), world.public_url)
    written = [record.getMessage() for record in caplog.records if "written to" in record.getMessage()]
    # The link is a credential: the log names it by a hash of its token (issue 15), the file holds it whole.
    assert len(written) == 1 and redact_booking_links(link) in written[0] and link not in written[0]
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700


def test_a_message_without_an_id_gets_one(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "hello"
    message.set_content("no links here")
    message_id = Mailer(outbox=tmp_path).send(message)
    assert re.fullmatch(r"<[^<>@]+@hirebot\.local>", message_id)
    assert (tmp_path / eml_file_name(message_id)).is_file()


# -- settings ----------------------------------------------------------------------------------------------


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://mailer%40acme.test:p%40ss%2Fword@mail.acme.test:587?starttls=1")
    assert (plain.host, plain.port, plain.username, plain.password) == (
        "mail.acme.test", 587, "mailer@acme.test", "p@ss/word")
    assert plain.starttls and not plain.implicit_tls
    assert "p@ss/word" not in repr(plain) and "p@ss/word" not in repr(Mailer(smtp=plain))

    tls = parse_smtp_url("smtps://user:pw@mail.acme.test")
    assert (tls.port, tls.implicit_tls, tls.starttls) == (465, True, False)
    assert parse_smtp_url("smtp://localhost").port == 25
    assert parse_smtp_url("smtp://localhost").username is None

    for bad, hint in (("http://mail.acme.test", "smtp://"), ("smtp://", "host name"),
                      ("smtps://u:p@h?starttls=1", "already encrypted"), ("smtp://h:notaport", "valid URL")):
        with pytest.raises(ConfigError, match=hint):
            parse_smtp_url(bad)
