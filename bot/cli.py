"""The `hirebot` command line: demo, connect, sync, ask, db upgrade.

Bad usage and expected failures print one line and exit non-zero; tracebacks are for real bugs only.
"""

from __future__ import annotations

import dataclasses
import gc
import inspect
import json
import logging
import mimetypes
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

# typer 0.26 and later ship their own copy of click (no separate click package); pyproject pins that series.
from typer._click import exceptions as click_exceptions
from typer.core import TyperGroup

from adapters.errors import HirebotError
from adapters.registry import PROVIDER_NAMES

# Only what building the command tree needs is imported here; each command imports what it uses, so that
# `hirebot --help`, `hirebot connections` and `hirebot ask` start fast (tests/test_cold_start.py checks it).
if TYPE_CHECKING:
    from adapters.spec import ConnectField, ProviderSpec
    from bot.intake import IntakeView
    from bot.messages import Person
    from bot.runtime import Runtime
    from scheduler.meetings import MeetingView
    from scheduler.wiring import Scheduling

class ConnectGroup(TyperGroup):
    """`hirebot connect`: one subcommand per ATS, built from its spec only when that ATS is named (or the
    group's help lists them), so other commands never load the ATS packages. An unknown ATS name is answered
    with the ones hirebot can connect to."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(PROVIDER_NAMES)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in PROVIDER_NAMES:
            from adapters.registry import spec_for

            single = typer.Typer(add_completion=False)
            single.command(cmd_name)(_connect_command(spec_for(cmd_name)))
            self.add_command(typer.main.get_command(single), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click_exceptions.UsageError as exc:
            names = ", ".join(PROVIDER_NAMES)
            said = exc.message.rstrip(".")
            exc.message = f"{said}{' ' if said.endswith('?') else '. '}hirebot can connect: {names}."
            raise


app = typer.Typer(name="hirebot", help="Recruiting assistant for Slack and Teams, synced with your ATS.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
connect_app = typer.Typer(help="Connect an applicant tracking system.", no_args_is_help=True, cls=ConnectGroup)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(connect_app, name="connect")
app.add_typer(db_app, name="db")

console = Console()
err = Console(stderr=True)
# Piped output is read by programs and people copying links: never wrap a line or cut a value there.
console.soft_wrap = not console.is_terminal
err.soft_wrap = not err.is_terminal


def _print_rows(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table in a terminal; piped, plain tab-separated columns under a header line, every value whole."""
    if console.is_terminal:
        from rich.table import Table

        table = Table(*headers)
        for row in rows:
            table.add_row(*(escape(value) for value in row))
        console.print(table)
        return
    for line in (headers, *rows):
        sys.stdout.write("\t".join(" ".join(value.split()) for value in line) + "\n")
    sys.stdout.flush()


class CliError(Exception):
    """A failure already explained in one line."""


def _runtime() -> Runtime:
    from bot.runtime import Runtime

    return Runtime.open()


# -- demo ---------------------------------------------------------------------------------------------

@app.command()
def demo(
    candidates: Annotated[int, typer.Option(help="How many sandbox candidates to generate.")] = 400,
    seed: Annotated[int, typer.Option(help="Seed of the generated sandbox data.")] = 7,
    ats: Annotated[str, typer.Option("--ats", help="Sandbox ATSs to connect, comma-separated (e.g. "
                                     "greenhouse,lever); some people are in all of them.")] = "greenhouse",
) -> None:
    """Start sandbox ATSs (Greenhouse unless --ats says otherwise), sync them, and chat in the terminal."""
    from bot.demo import run_demo

    try:
        run_demo(console, candidates=candidates, seed=seed, ats=ats)
    except HirebotError as exc:
        raise CliError(str(exc)) from None


# -- run ----------------------------------------------------------------------------------------------

@app.command()
def run(
    host: Annotated[str, typer.Option("--host", envvar="HIREBOT_HOST",
                                      help="Interface to listen on; 0.0.0.0 to accept other machines.")]
    = "127.0.0.1",
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, max=64, help="Processes answering chat questions (HIREBOT_WORKERS; default: one per "
        "core beyond the first, 1 to 4). Each loads the name index; more answer more questions per second.")]
    = None,
) -> None:
    """Serve chat, booking pages, ATS webhooks, health and metrics on one port (HIREBOT_PORT, default 3000)."""
    from bot.runtime import Runtime
    from bot.server import quiet_logging, serve
    from store.settings import Settings

    settings = Settings.from_env()
    runtime = Runtime.open(settings if workers is None else dataclasses.replace(settings, workers=workers))
    quiet_logging(runtime.settings.log_level)
    try:
        serve(runtime, host=host, say=lambda line: console.print(line, markup=False, highlight=False,
                                                                 soft_wrap=True))
    finally:
        runtime.close()


# -- connect ------------------------------------------------------------------------------------------

def _connect(spec: ProviderSpec, values: dict[str, str | None], scope: str, name: str | None) -> None:
    import asyncio

    runtime = _runtime()
    try:
        admin = runtime.directory.local_admin()
        clean = {k: v for k, v in values.items() if v}
        with console.status(f"Checking the {spec.label} credentials…"):
            info = asyncio.run(runtime.connections.connect(admin, spec.name, clean, scope=scope, name=name))
        for warning in info.warnings:
            err.print(f"warning: {warning}", markup=False, highlight=False)
        for note in info.notes:
            console.print(note, markup=False, highlight=False, soft_wrap=True)
        where = "the whole workspace" if info.scope == "org" else "you"
        console.print(f"Connected {info.label}: connection id {info.id} (for {where}). "
                      f"Run `hirebot sync --connection {info.id}` to fetch candidates.")
    finally:
        runtime.close()


def _connect_command(spec: ProviderSpec) -> Callable[..., None]:
    """`hirebot connect <spec.name>`: one option per connect field (in the spec's order), then --scope when
    the ATS may be connected for the whole workspace, then --name. Typer reads the built signature."""

    def command(**options: Any) -> None:
        for field in spec.fields:
            value = options[field.name]
            if field.choices and value is not None and value not in field.choices:
                raise CliError(f"{field.flag} must be {_either(field.choices)}, not {value!r}.")
        scope = options.pop("scope", spec.default_scope)
        if scope not in ("org", "user"):
            raise CliError(f"--scope must be org or user, not {scope!r}.")
        name = options.pop("name")
        _connect(spec, options, scope, name)

    parameters = [_field_parameter(field) for field in spec.fields]
    if spec.org_scope_allowed:
        parameters.append(_option("scope", str, "--scope", "org (whole workspace) or user (just you).",
                                  spec.default_scope))
    parameters.append(_option("name", str | None, "--name", "A label for this connection.", None))
    command.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    command.__doc__ = spec.connect_summary
    command.__name__ = f"connect_{spec.name}"
    return command


def _field_parameter(field: ConnectField) -> inspect.Parameter:
    if field.required:
        return _option(field.name, str, field.flag, field.flag_help, inspect.Parameter.empty)
    if field.default is not None:
        return _option(field.name, str, field.flag, field.flag_help, field.default)
    return _option(field.name, str | None, field.flag, field.flag_help, None)


def _option(name: str, kind: Any, flag: str, help_text: str, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=Annotated[kind, typer.Option(flag, help=help_text)])


def _either(choices: Sequence[str]) -> str:
    """"us, eu or sandbox"."""
    return f"{', '.join(choices[:-1])} or {choices[-1]}" if len(choices) > 1 else choices[0]


def _connect_hint() -> str:
    """"`hirebot connect greenhouse` or `hirebot connect lever`"."""
    return " or ".join(f"`hirebot connect {name}`" for name in PROVIDER_NAMES)


@app.command("connections")
def list_connections(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per connection.")] = False,
) -> None:
    """List connected ATS accounts with their last sync and candidate counts."""
    runtime = _runtime()
    try:
        rows = runtime.connections.list_for(runtime.directory.local_admin())
    finally:
        runtime.close()
    if as_json:
        for info in rows:
            data = {"id": info.id, "provider": info.provider, "label": info.label, "name": info.name,
                    "scope": info.scope, "candidates": info.candidate_count,
                    "last_sync_at": info.last_sync_at.isoformat() if info.last_sync_at else None,
                    "last_error": info.last_error}
            sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    if not rows:
        console.print(f"No ATS connected yet. Use {_connect_hint()}.")
        return
    _print_rows(("id", "provider", "name", "scope", "candidates", "last sync", "last error"),
                [(str(info.id), info.label, info.name, info.scope, str(info.candidate_count),
                  info.last_sync_at.isoformat(timespec="seconds") if info.last_sync_at else "never",
                  info.last_error or "") for info in rows])


@app.command("disconnect")
def disconnect(connection_id: Annotated[int, typer.Argument(help="Connection id (see `hirebot connections`).")]
               ) -> None:
    """Remove a connection and every record synced from it."""
    runtime = _runtime()
    try:
        runtime.connections.remove(runtime.directory.local_admin(), connection_id)
    finally:
        runtime.close()
    console.print(f"Removed connection {connection_id} and its synced records.")


# -- webhooks -----------------------------------------------------------------------------------------

webhooks_app = typer.Typer(help="Webhook set-up: URLs and secrets to paste into each ATS.",
                           invoke_without_command=True)
app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.callback()
def webhooks(ctx: typer.Context) -> None:
    """Print, for every connection, the webhook URL and the secret (or next step) to paste into the ATS."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.webhook_setup import public_url_problem, webhook_instructions

    runtime = _runtime()
    try:
        rows = webhook_instructions(runtime)
        problem = public_url_problem(runtime.settings)
    finally:
        runtime.close()
    if not rows:
        console.print(f"No ATS connected yet. Use {_connect_hint()} first.")
        return
    if problem:
        err.print(f"warning: {problem}", markup=False, highlight=False)
    for row in rows:
        console.print(f"[bold]{escape(row.name)}[/bold] (connection {row.connection_id}, {row.provider})")
        console.print(f"  URL:    {row.url}", markup=False, highlight=False)
        label = "Secret key: " if row.is_secret else ""
        console.print(f"  {label}{row.secret_or_note}", markup=False, highlight=False)
        if row.events:
            console.print(f"  Events: {', '.join(row.events)}", markup=False, highlight=False)


@webhooks_app.command("add-token",
                      help="Store the signature token an ATS shows for one webhook (ATSs that issue their own "
                           "token per webhook; `hirebot webhooks` says which).")
def webhooks_add_token(
    connection_id: Annotated[int, typer.Argument(help="The connection id (see `hirebot connections`).")],
    token: Annotated[str, typer.Argument(help="The signature token the ATS shows for one webhook.")],
) -> None:
    from bot.webhook_setup import add_token

    runtime = _runtime()
    try:
        count = add_token(runtime, connection_id, token)
    finally:
        runtime.close()
    console.print(f"Saved. Connection {connection_id} now accepts webhooks signed with {count} token(s).")


# -- sync ---------------------------------------------------------------------------------------------

@app.command()
def sync(
    provider: Annotated[str | None, typer.Argument(help="Only connections of this provider, e.g. greenhouse.")]
    = None,
    connection: Annotated[int | None, typer.Option("--connection", help="Only this connection id.")] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read everything and drop records the ATS deleted.")]
    = False,
) -> None:
    """Sync candidates, applications and jobs from the connected ATSs."""
    import asyncio

    from bot.progress import sync_progress

    runtime = _runtime()
    try:
        rows = runtime.connections.find(runtime.directory.local_admin(), provider=provider, connection_id=connection)
        if not rows:
            raise CliError("No matching connection. See `hirebot connections`.")
        failures = 0
        for row in rows:
            label = f"{row.name} (connection {row.id})"
            try:
                with sync_progress(console, label) as progress:
                    result = asyncio.run(runtime.connections.sync(row.id, full=full, progress=progress))
            except HirebotError as exc:
                failures += 1
                err.print(f"[red]error:[/red] sync of {label} failed: {exc}")
                continue
            console.print(f"{label}: {result.created} new, {result.updated} updated, {result.unchanged} "
                          f"unchanged, {result.deleted} removed; {result.jobs} jobs, {result.users} users.")
        if failures:
            raise CliError(f"{failures} of {len(rows)} connection(s) failed to sync.")
    finally:
        runtime.close()


# -- ask ----------------------------------------------------------------------------------------------

@app.command()
def ask(
    message: Annotated[str | None, typer.Argument(help="What to ask, e.g. \"who is Jane Doe?\".")] = None,
    as_email: Annotated[str | None, typer.Option("--as", help="Ask as this user (email) of the workspace.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON; without MESSAGE, read lines from stdin.")]
    = False,
) -> None:
    """Send one message through the same core the chat apps use."""
    if message is None and not as_json:
        raise CliError("Give a MESSAGE, or use --json to read messages from stdin.")
    from bot.console.render import print_reply
    from bot.messages import IncomingMessage, RoomKind

    runtime = _runtime()
    try:
        sender = runtime.directory.local_admin(as_email)
        if message is None:
            gc.enable()  # a stream of questions may run for long: see _QUICK_COMMANDS
        lines = [message] if message is not None else (line.rstrip("\n") for line in sys.stdin)
        for text in lines:
            if message is None and not text.strip():
                continue
            reply = runtime.assistant.handle(IncomingMessage(text=text, sender=sender, room=RoomKind.CONSOLE,
                                                             platform="cli"))
            if as_json:
                sys.stdout.write(json.dumps(reply.to_json(), ensure_ascii=False) + "\n")
                sys.stdout.flush()
            else:
                print_reply(console, reply)
    finally:
        runtime.close()


@app.command()
def jobs(
    provider: Annotated[str | None, typer.Argument(help="Only jobs from this provider, e.g. greenhouse.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per job.")] = False,
) -> None:
    """List open jobs with the number of active candidates in each."""
    from store.queries import open_jobs_with_counts

    runtime = _runtime()
    try:
        rows = runtime.connections.find(runtime.directory.local_admin(), provider=provider)
        if not rows:
            raise CliError("No matching connection. See `hirebot connections`.")
        by_id = {row.id: row for row in rows}
        with runtime.sessions() as session:
            found = open_jobs_with_counts(session, list(by_id))
    finally:
        runtime.close()
    if as_json:
        for job, active in found:
            conn = by_id[job.connection_id]
            sys.stdout.write(json.dumps({"connection_id": conn.id, "provider": conn.provider, "id": job.remote_id,
                                         "name": job.name, "active_candidates": active}, ensure_ascii=False) + "\n")
        return
    if not found:
        console.print("No open jobs.")
        return
    _print_rows(("connection", "job", "active candidates"),
                [(by_id[job.connection_id].name, job.name, str(active)) for job, active in found])


# -- scheduling ---------------------------------------------------------------------------------------

meeting_app = typer.Typer(help="Change one meeting.", no_args_is_help=True)
app.add_typer(meeting_app, name="meeting")


def _meeting_json(view: MeetingView) -> dict[str, Any]:
    return {"meeting_id": view.id, "state": view.state,
            "candidate": {"id": str(view.candidate.id) if view.candidate.id is not None else None,
                          "name": view.candidate.name, "email": view.candidate.email},
            "booking_url": view.booking_url, "slots": [slot.isoformat() for slot in view.slots]}


def _print_meeting(runtime: Runtime, view: MeetingView) -> None:
    from bot.console.render import print_card

    assert runtime.assistant.scheduling is not None
    print_card(console, runtime.assistant.scheduling.meeting_card(view))


def _scheduling(runtime: Runtime) -> Scheduling:
    if runtime.assistant.scheduling is None:
        raise CliError("Scheduling is not available.")
    return runtime.scheduling


@app.command()
def schedule(
    candidate: Annotated[str, typer.Argument(help="Who to meet: a name or an email address.")],
    duration: Annotated[int | None, typer.Option("--duration", help="Minutes (default: your setting, 30).")]
    = None,
    with_: Annotated[list[str] | None, typer.Option("--with", help="Another attendee's email (repeatable).")]
    = None,
    window: Annotated[str | None, typer.Option("--window", help="YYYY-MM-DD..YYYY-MM-DD, or words like "
                                                                "'next week' (default: the next 5 business days).")]
    = None,
    location: Annotated[str | None, typer.Option("--location", help="Video link, phone number or address.")]
    = None,
    as_email: Annotated[str | None, typer.Option("--as", help="Organize as this user (email).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the meeting as JSON.")] = False,
    ats: Annotated[str | None, typer.Option("--ats", help="For someone in no ATS yet: the connection (id or "
                                                          "provider) to add them to when they book.")] = None,
    job: Annotated[str | None, typer.Option("--job", help="For someone in no ATS yet: the job (id or title) to "
                                                          "add them to.")] = None,
    cv: Annotated[Path | None, typer.Option("--cv", help="For someone in no ATS yet: their CV (PDF, Word or text).",
                                            exists=True, dir_okay=False, readable=True)] = None,
    linkedin: Annotated[str | None, typer.Option("--linkedin", help="For someone in no ATS yet: their LinkedIn "
                                                                    "profile URL.")] = None,
) -> None:
    """Email a candidate a meeting request with a booking link, like "schedule with X" in chat.

    Someone in no connected ATS is scheduled by email and added to the ATS (--ats, --job; default: the last ones
    you used) with their --cv and --linkedin when they book.
    """
    import asyncio

    from bot.names import Decision

    runtime = _runtime()
    try:
        scheduling = _scheduling(runtime)
        sender = runtime.directory.local_admin(as_email)
        decision, people = runtime.assistant.resolve_candidate(sender, candidate)
        candidate_id, email = None, None
        if decision is Decision.MATCH:
            candidate_id = people[0].primary.id
        elif decision is Decision.AMBIGUOUS:
            names = "; ".join(f"{p.name} ({', '.join(p.emails()) or 'no email'})" for p in people)
            raise CliError(f"Several candidates match {candidate!r}: {names}. Give an email address instead.")
        elif "@" in candidate:
            email = candidate.strip()
        else:
            hint = f" Did you mean {' or '.join(p.name for p in people)}?" if people else ""
            raise CliError(f"No candidate matches {candidate!r}.{hint}")
        intake = _intake_for_cli(runtime, sender, email, ats=ats, job=job, cv=cv, linkedin=linkedin) \
            if email is not None else None
        proposal = asyncio.run(scheduling.service.propose(
            sender, candidate_id, candidate_email=email, duration_minutes=duration,
            when=window,
            extra_attendees=with_ or (), location=location, intake_job=intake.job if intake else None))
        view = scheduling.service.create_request(proposal, sender, intake_id=intake.id if intake else None)
        if intake is not None and intake.target is not None and not as_json:
            console.print(f"When they book, they'll be added to {intake.target.label}.", markup=False,
                          highlight=False)
        asyncio.run(scheduling.send_due())
        view = scheduling.service.view(view.id)
        for warning in proposal.warnings:
            err.print(f"warning: {warning}", markup=False, highlight=False)
        if as_json:
            sys.stdout.write(json.dumps(_meeting_json(view), ensure_ascii=False) + "\n")
        else:
            _print_meeting(runtime, view)
            console.print(f"Booking link: {view.booking_url}", markup=False, highlight=False)
    finally:
        runtime.close()


def _intake_for_cli(runtime: Runtime, sender: Person, email: str, *, ats: str | None, job: str | None,
                    cv: Path | None, linkedin: str | None) -> IntakeView | None:
    """The draft of who to add to an ATS, with the target the flags name (else the organizer's default)."""
    from bot.intake import IntakeDesk, IntakeError
    from bot.intents import find_linkedin
    from bot.messages import ChatFile
    from store.models import utcnow

    desk = IntakeDesk(runtime.sessions, utcnow)
    if linkedin and find_linkedin(linkedin) is None:
        raise CliError(f"{linkedin!r} doesn't look like a LinkedIn profile URL (https://www.linkedin.com/in/…).")
    files = (ChatFile(cv.name, mimetypes.guess_type(cv.name)[0], cv.read_bytes()),) if cv is not None else ()
    try:
        intake = desk.start(sender, email, linkedin_url=find_linkedin(linkedin or ""), files=files)
        if cv is not None and intake.resume_name is None:
            raise CliError(f"{cv.name} isn't a CV hirebot can attach (PDF, Word, RTF, ODT or text).")
        if ats is None and job is None:
            return intake
        targets = desk.targets(sender)
        if ats is not None:
            key = ats.strip().lower()
            targets = [t for t in targets if str(t.connection_id) == key or t.provider == key
                       or t.connection_name.lower() == key]
            if not targets:
                raise CliError(f"No connection {ats!r} that can take new candidates. See `hirebot connections`.")
        if job is None:
            chosen = next((t for t in targets if t.job_remote_id is None), targets[0])
        else:
            wanted = job.strip().lower()
            matches = [t for t in targets if t.job_remote_id == job.strip() or (t.job_name or "").lower() == wanted]
            if len({(t.connection_id, t.job_remote_id) for t in matches}) != 1:
                names = ", ".join(sorted({t.job_name for t in targets if t.job_name})) or "none"
                raise CliError(f"{'Several jobs match' if matches else 'No open job matches'} {job!r}. "
                               f"Open jobs: {names}.")
            chosen = matches[0]
        return desk.update(sender, intake.id, target=chosen.value)
    except IntakeError as exc:
        raise CliError(str(exc)) from exc


@app.command()
def meetings(
    as_email: Annotated[str | None, typer.Option("--as", help="Meetings of this user (email).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per meeting, with its events.")]
    = False,
) -> None:
    """List meetings with their state and every event so far."""
    runtime = _runtime()
    try:
        scheduling = _scheduling(runtime)
        views = scheduling.service.meetings_for(runtime.directory.local_admin(as_email), include_past=True)
        for view in views:
            if as_json:
                data = {**_meeting_json(view), "title": view.title,
                        "booked_start": view.booked_start.isoformat() if view.booked_start else None,
                        "events": [{"seq": e.seq, "kind": e.kind, "at": e.occurred_at.isoformat(), "actor": e.actor}
                                   for e in view.events]}
                sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
            else:
                _print_meeting(runtime, view)
        if not views and not as_json:
            console.print("No meetings yet. Use `hirebot schedule NAME` or say \"schedule with NAME\" in chat.")
    finally:
        runtime.close()


def _change_meeting(meeting_id: int, change: str, window: str | None = None) -> None:
    import asyncio

    runtime = _runtime()
    try:
        scheduling = _scheduling(runtime)
        actor = str(runtime.directory.local_admin().user_id)
        if change == "cancel":
            view = scheduling.service.cancel(meeting_id, actor=actor)
        else:
            view = asyncio.run(scheduling.service.reschedule(meeting_id, actor=actor, when=window))
        asyncio.run(scheduling.send_due())
        _print_meeting(runtime, scheduling.service.view(view.id))
    finally:
        runtime.close()


@meeting_app.command("cancel")
def meeting_cancel(meeting_id: Annotated[int, typer.Argument(help="Meeting id (see `hirebot meetings`).")]
                   ) -> None:
    """Cancel a meeting; the candidate and attendees are told (with a calendar cancellation if booked)."""
    _change_meeting(meeting_id, "cancel")


@meeting_app.command("reschedule")
def meeting_reschedule(
    meeting_id: Annotated[int, typer.Argument(help="Meeting id (see `hirebot meetings`).")],
    window: Annotated[str | None, typer.Option("--window", help="Where to look for new times.")] = None,
) -> None:
    """Offer the candidate new times for a meeting (they pick one from the same booking page)."""
    _change_meeting(meeting_id, "reschedule", window)


# -- outbox -------------------------------------------------------------------------------------------

outbox_app = typer.Typer(help="Meeting events waiting for, or stuck on their way to, the ATS.",
                         no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("list")
def outbox_list(
    state: Annotated[str | None, typer.Option("--state", help="pending, sent, parked, skipped or dropped.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per row.")] = False,
) -> None:
    """List outbox rows with their state, attempts and last error."""
    from bot.outbox_cli import list_items

    runtime = _runtime()
    try:
        rows = list_items(runtime.sessions, state=state)
    finally:
        runtime.close()
    if as_json:
        for row in rows:
            data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in dataclasses.asdict(row).items()}
            sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    if not rows:
        console.print("The outbox is empty.")
        return
    _print_rows(("id", "meeting", "candidate", "event", "action", "ATS", "state", "tries", "error"),
                [(str(row.id), str(row.meeting_id), row.candidate, row.event_kind, row.action, row.provider,
                  row.state, str(row.attempts), row.error or "") for row in rows])


@outbox_app.command("retry")
def outbox_retry(item_id: Annotated[int, typer.Argument(help="Outbox row id (see `hirebot outbox list`).")]
                 ) -> None:
    """Try a parked row again now."""
    from bot.outbox_cli import retry_item

    runtime = _runtime()
    try:
        row = retry_item(runtime.sessions, item_id)
    finally:
        runtime.close()
    console.print(f"Row {row.id} is {row.state} again; the outbox worker in `hirebot run` will send it.")


@outbox_app.command("drop")
def outbox_drop(item_id: Annotated[int, typer.Argument(help="Outbox row id (see `hirebot outbox list`).")]
                ) -> None:
    """Give up on a row (the candidate's later rows can then go)."""
    from bot.outbox_cli import drop_item

    runtime = _runtime()
    try:
        row = drop_item(runtime.sessions, item_id)
    finally:
        runtime.close()
    console.print(f"Row {row.id} dropped.")


@app.command()
def settings(
    as_email: Annotated[str | None, typer.Option("--as", help="Whose settings (email); default the local admin.")]
    = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="IANA zone, e.g. Europe/Berlin.")] = None,
    hours: Annotated[str | None, typer.Option("--hours", help="Working hours, e.g. 'Mon-Fri 09:00-17:00'.")]
    = None,
    calendar_feed: Annotated[str | None, typer.Option("--calendar-feed", help="Private iCalendar (ICS) feed URL "
                                                                              "for busy times; 'none' removes it.")]
    = None,
    duration: Annotated[int | None, typer.Option("--duration", help="Default meeting length in minutes.")] = None,
    location: Annotated[str | None, typer.Option("--location", help="Default location or video link.")] = None,
    briefing_minutes: Annotated[int | None, typer.Option("--briefing-minutes",
                                                         help="How long before a meeting the briefing DM comes.")]
    = None,
) -> None:
    """Show or change a user's scheduling settings (zone, working hours, calendar feed, defaults).

    People can change their own in chat too: "my settings", "brief me 30 minutes before meetings".
    """
    from bot.settings_chat import BRIEFING_FIELDS
    from scheduler.briefings import replan_user_briefings
    from scheduler.user_settings import describe_working_hours, find_timezone, parse_working_hours, update_settings
    from store.db import transaction
    from store.models import utcnow

    changes: dict[str, Any] = {}
    if timezone:
        changes["timezone"] = find_timezone(timezone)
    if hours:
        changes["working_days"] = parse_working_hours(hours)
    if calendar_feed:
        changes["ics_feed_url"] = None if calendar_feed.lower() == "none" else calendar_feed
    if duration is not None:
        changes["default_duration_minutes"] = duration
    if location is not None:
        changes["default_location"] = location or None
    if briefing_minutes is not None:
        changes["briefing_lead_minutes"] = briefing_minutes
    runtime = _runtime()
    try:
        person = runtime.directory.local_admin(as_email)
        with transaction(runtime.sessions) as session:
            current = update_settings(session, person.user_id, runtime.box, **changes)
            if changes.keys() & BRIEFING_FIELDS:
                replan_user_briefings(session, person.user_id, runtime.box, utcnow())  # move pending briefings
    finally:
        runtime.close()
    spans = describe_working_hours(current.working_days)
    console.print(f"Settings of {person.email}:", markup=False, highlight=False)
    for label, value in (("time zone", current.timezone), ("working hours", spans),
                         ("calendar feed", "set (kept encrypted)" if current.ics_feed_url else "not set"),
                         ("default length", f"{current.default_duration_minutes} min"),
                         ("default location", current.default_location or "none"),
                         ("briefing", f"{current.briefing_lead_minutes} min before each meeting")):
        console.print(f"  {label}: {value}", markup=False, highlight=False)


@app.command("share-cards")
def share_cards(
    state: Annotated[str, typer.Argument(help="on or off")],
    team: Annotated[str | None, typer.Option("--team", help="Slack team id (multi-workspace mode).")] = None,
) -> None:
    """Allow (on) or forbid (off, the default) candidate cards posted visibly in channel threads."""
    if state not in ("on", "off"):
        raise CliError(f"Say on or off, not {state!r}.")
    runtime = _runtime()
    try:
        directory = runtime.directory
        workspace = directory.workspace_for("slack", team, name=team) if team else directory.default_workspace()
        directory.set_workspace_setting(workspace.id, "share_cards_in_channels", state == "on")
    finally:
        runtime.close()
    shown = "shown to everyone in the thread" if state == "on" else "only to the asker"
    console.print(f"Candidate cards in channels: {shown}.")


# -- teams --------------------------------------------------------------------------------------------

@app.command("teams-package")
def teams_package(
    out: Annotated[Path, typer.Option("--out", help="Where to write the zip (a folder gets hirebot-teams.zip).")]
    = Path("hirebot-teams.zip"),
) -> None:
    """Write the Teams app package (manifest and icons) for TEAMS_APP_ID, to upload in the Teams admin center."""
    import os

    from bot.teams.package import package_from_env, write_package

    data, app_id = package_from_env(os.environ)
    target = out / "hirebot-teams.zip" if out.is_dir() else out
    try:
        write_package(target, data)
    except OSError as exc:
        raise CliError(f"Could not write {target}: {exc.strerror or exc}.") from exc
    console.print(f"Wrote {target} (manifest.json, color.png, outline.png) for bot {app_id}.",
                  markup=False, highlight=False)
    console.print("Upload it in the Teams admin center: Teams apps > Manage apps > Upload new app.",
                  markup=False, highlight=False)
    if not (os.environ.get("HIREBOT_PUBLIC_URL") or "").strip().lower().startswith("https://"):
        err.print("Note: Teams only reaches https addresses; set HIREBOT_PUBLIC_URL to hirebot's public https "
                  "address and make the package again before uploading it.", markup=False, highlight=False)


# -- db -----------------------------------------------------------------------------------------------

@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    runtime = _runtime()
    runtime.close()
    console.print("Database is up to date.")


# -- entry point --------------------------------------------------------------------------------------

# Commands that answer once and exit. Their cyclic garbage collection would only walk what start-up imported
# (long-lived, and what dies is freed by reference counting anyway): about a tenth of a cold `hirebot ask`.
# Every other command (run, sync, demo, ...) and `ask` reading many messages from stdin keep the collector on.
_QUICK_COMMANDS = frozenset({"ask", "connections", "jobs"})


def main(argv: list[str] | None = None) -> None:
    """Console script: one-line errors and a non-zero exit for anything expected to go wrong."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = sys.argv[1:] if argv is None else argv
    quick = bool(args) and args[0] in _QUICK_COMMANDS and gc.isenabled()
    if quick:
        gc.disable()
    try:
        app(args=argv, prog_name="hirebot", standalone_mode=False)
    except click_exceptions.NoArgsIsHelpError:
        sys.exit(2)
    except click_exceptions.UsageError as exc:
        hint = f" (see `hirebot {exc.ctx.command_path.partition(' ')[2]} --help`)".replace("  ", " ") if exc.ctx \
            else ""
        err.print(f"error: {exc.format_message()}{hint}", markup=False, highlight=False)
        sys.exit(2)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (CliError, HirebotError) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        if quick:
            gc.enable()
