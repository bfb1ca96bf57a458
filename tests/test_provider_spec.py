"""Every registered provider spec is complete, and what hirebot generates from it matches it.

A new ATS proves its spec here: its fields, help and label are filled in, `hirebot connect <name>` has
exactly its flags, its webhook route answers, docs/providers.md lists it, and its write policy decides
from plain facts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from aiohttp.test_utils import TestClient, TestServer
from typer._click import Context
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.testing import CliRunner

from adapters.errors import ConfigError
from adapters.greenhouse.spec import GREENHOUSE
from adapters.lever.spec import LEVER, MAX_AGE
from adapters.registry import adapter_for, all_specs, label_for, spec_for
from adapters.spec import ProviderSpec, WebhookScheme
from adapters.spec_table import provider_table, table_in
from adapters.webhooks import BadSignature, MalformedDelivery, StaleDelivery, WebhookSecrets
from adapters.write_policy import AtsPerson, MeetingFacts
from bot.cli import app as cli_app
from bot.runtime import Runtime
from bot.web import create_web_app
from store.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ids = [spec.name for spec in all_specs()]


@pytest.mark.parametrize("spec", all_specs(), ids=ids)
def test_every_spec_is_complete(spec: ProviderSpec) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.name)
    assert spec.adapter_class.provider == spec.name and spec.adapter_class.display_name == spec.label
    assert spec.label and spec.help_text and spec.connect_summary.startswith(f"Connect {spec.label}")
    assert spec.fields and (any(f.required for f in spec.fields) or spec.alternatives)
    for group in spec.alternatives:  # credentials given one way or another: each field is named, none required
        assert group and all(name in {f.name for f in spec.fields} for name in group)
        assert not any(f.required for f in spec.fields if f.name in group)
    assert len({f.name for f in spec.fields}) == len(spec.fields)
    for field in spec.fields:
        assert re.fullmatch(r"[a-z][a-z_]*", field.name) and field.label and field.flag_help.endswith(".")
        assert field.default is None or not field.choices or field.default in field.choices
        assert not (field.required and field.default is not None)  # a default makes a flag optional
    assert spec.webhooks.events or spec.webhooks.scheme is WebhookScheme.POLLING  # polled: nothing to turn on
    assert len(set(spec.webhooks.events)) == len(spec.webhooks.events)
    if spec.webhooks.scheme is WebhookScheme.ISSUED_TOKENS:
        assert spec.webhooks.token_source and "{connection_id}" in spec.webhooks.setup
    defaults = {f.name: f.default for f in spec.fields if f.default is not None}
    assert spec.default_base_url(defaults).startswith("https://")


def test_names_are_unique_and_lookups_ignore_case_and_spaces() -> None:
    assert len(set(ids)) == len(ids)
    assert spec_for(" Greenhouse ") is GREENHOUSE and spec_for("lever") is LEVER
    assert label_for("lever") == "Lever" and label_for("breezyhr") == "BreezyHR"


def test_an_unknown_provider_names_the_supported_ones() -> None:
    known = ", ".join(sorted(spec.name for spec in all_specs()))  # greenhouse, lever, ... as each ATS joins
    with pytest.raises(ConfigError, match=rf"Unknown ATS provider 'taleo'\. Known providers: {re.escape(known)}\."):
        spec_for("taleo")
    with pytest.raises(ConfigError, match=f"Known providers: {re.escape(known)}"):
        adapter_for("taleo", None, None)  # type: ignore[arg-type]  # refused before either is used
    result = CliRunner().invoke(cli_app, ["connect", "taleo"])
    assert result.exit_code == 2 and "No such command 'taleo'" in result.output


# -- `hirebot connect <name>` is generated from the spec ----------------------------------------------------


def _connect_command(name: str) -> TyperCommand:
    group = typer.main.get_command(cli_app)
    assert isinstance(group, TyperGroup)
    connect = group.commands["connect"]
    assert isinstance(connect, TyperGroup)
    command = connect.get_command(Context(connect), name)  # built when named, like the CLI does
    assert isinstance(command, TyperCommand)
    return command


@pytest.mark.parametrize("spec", all_specs(), ids=ids)
def test_cli_flags_are_the_spec_fields_then_scope_and_name(spec: ProviderSpec) -> None:
    command = _connect_command(spec.name)
    options = [p for p in command.params if isinstance(p, TyperOption)]
    extra = (["--scope"] if spec.org_scope_allowed else []) + ["--name"]
    assert [o.opts[0] for o in options] == [f.flag for f in spec.fields] + extra
    for option, field in zip(options, spec.fields, strict=False):
        assert option.required == field.required
        assert option.help == field.flag_help
        assert option.default == field.default
    assert command.help == spec.connect_summary
    if spec.org_scope_allowed:
        assert options[-2].default == "org"


def test_connect_checks_choices_and_scope_before_anything_else() -> None:
    runner = CliRunner()
    bad_region = runner.invoke(cli_app, ["connect", "lever", "--api-key", "k", "--region", "mars"])
    assert isinstance(bad_region.exception, Exception)
    assert "--region must be us, eu or sandbox, not 'mars'." in str(bad_region.exception)
    bad_scope = runner.invoke(cli_app, ["connect", "greenhouse", "--client-id", "x", "--client-secret", "y",
                                        "--scope", "everyone"])
    assert "--scope must be org or user, not 'everyone'." in str(bad_scope.exception)
    no_scope_for_lever = runner.invoke(cli_app, ["connect", "lever", "--api-key", "k", "--scope", "org"])
    assert no_scope_for_lever.exit_code == 2 and "No such option" in no_scope_for_lever.output


# -- the webhook route --------------------------------------------------------------------------------------


async def test_the_webhook_route_serves_every_provider_and_only_those(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'routes.sqlite3'}"
    runtime = Runtime.open(Settings(data_dir=tmp_path, database_url=database_url, secret_key="spec-tests",
                                    public_url="https://hirebot.example"), database_url=database_url)
    try:
        async with TestClient(TestServer(create_web_app(runtime))) as client:
            for spec in all_specs():
                response = await client.post(f"/webhooks/{spec.name}/999", data=b"{}")
                assert response.status == 404 and await response.json() == {"error": "not found"}
            unknown = await client.post("/webhooks/taleo/1", data=b"{}")
            assert unknown.status == 404 and unknown.content_type == "text/plain"  # no such route at all
    finally:
        runtime.close()


# -- the verifiers ------------------------------------------------------------------------------------------


def test_greenhouse_checks_the_raw_body_and_names_the_delivery_by_its_event_id() -> None:
    body = json.dumps({"action": "update_candidate", "payload": {"candidate": {"id": 42}}}).encode()
    signature = "sha256 " + hmac.new(b"key", body, hashlib.sha256).hexdigest()
    secrets = WebhookSecrets(secret="key")
    trigger = GREENHOUSE.webhooks.verify(body, {"signature": signature, "greenhouse-event-id": "e-1"}, secrets, NOW)
    assert (trigger.candidate_ids, trigger.delivery_id) == (("42",), "e-1")
    with pytest.raises(BadSignature):
        GREENHOUSE.webhooks.verify(body + b" ", {"signature": signature}, secrets, NOW)
    bad = b"[1]"
    with pytest.raises(MalformedDelivery):
        GREENHOUSE.webhooks.verify(bad, {"signature": "sha256 " + hmac.new(b"key", bad, hashlib.sha256)
                                         .hexdigest()}, secrets, NOW)


def _lever_body(token: str, at: datetime, key: str = "tok") -> bytes:
    triggered = int(at.timestamp() * 1000)
    signature = hmac.new(key.encode(), f"{token}{triggered}".encode(), hashlib.sha256).hexdigest()
    return json.dumps({"event": "candidateHired", "token": token, "triggeredAt": triggered,
                       "signature": signature, "data": {"opportunityId": "opp-1"}}).encode()


def test_lever_accepts_any_stored_token_and_refuses_stale_deliveries() -> None:
    secrets = WebhookSecrets(tokens=("other", "tok"))
    trigger = LEVER.webhooks.verify(_lever_body("d-1", NOW), {}, secrets, NOW)
    assert (trigger.candidate_ids, trigger.delivery_id) == (("opp-1",), "d-1")
    with pytest.raises(BadSignature):
        LEVER.webhooks.verify(_lever_body("d-1", NOW), {}, WebhookSecrets(), NOW)
    with pytest.raises(StaleDelivery):
        LEVER.webhooks.verify(_lever_body("d-2", NOW - MAX_AGE - timedelta(seconds=1)), {}, secrets, NOW)
    with pytest.raises(StaleDelivery):
        LEVER.webhooks.verify(_lever_body("d-3", NOW + timedelta(minutes=6)), {}, secrets, NOW)


# -- the write policies decide from plain facts ------------------------------------------------------------

MANAGER = AtsPerson("u-7", "Hana Manager", frozenset({"hana@acme.example"}))
ORGANIZER = AtsPerson("u-1", "Olu Organizer", frozenset({"olu@acme.example"}))


def facts(**changes: object) -> MeetingFacts:
    values: dict[str, object] = dict(
        candidate_name="Jane Doe", meeting_title="Intro call", meeting_created_at=NOW,
        invited_email="jane@example.com", invited_emails=frozenset({"olu@acme.example", "hana@acme.example"}),
        invited_ats_users=(ORGANIZER, MANAGER, ORGANIZER), hiring_managers=(MANAGER,), candidate_remote_id="c-1",
        candidate_on_record=True, candidate_added_at=NOW - timedelta(days=1),
        candidate_emails=frozenset({"jane@example.com"}))
    values.update(changes)
    return MeetingFacts(**values)  # type: ignore[arg-type]


def test_greenhouse_policy_gives_the_first_failed_requirement_and_lets_the_manager_run_the_interview() -> None:
    decide = GREENHOUSE.write_policy.decide
    assert decide(facts()).problem is None and decide(facts()).interviewer_ids == ("u-7",)
    assert decide(facts()).acting_user_id == "u-7"
    assert decide(facts(candidate_on_record=False, hiring_managers=())).problem == "Jane Doe isn't in Greenhouse"
    late = facts(candidate_added_at=NOW + timedelta(minutes=1))
    assert decide(late).problem == "Jane Doe was added to Greenhouse only after the meeting was scheduled"
    assert decide(facts(candidate_added_at=NOW + timedelta(minutes=1), pushed=True)).problem is None
    uninvited = decide(facts(invited_emails=frozenset({"olu@acme.example"})))
    assert uninvited.problem == "the hiring manager (Hana Manager) neither created the meeting nor is invited to it"
    other_email = decide(facts(invited_email="jane@home.example"))
    assert other_email.problem is not None and other_email.problem.startswith("the person invited")
    assert other_email.acting_user_id == "u-7"  # the manager still runs it, were it logged
    assert decide(facts(adding=True)).problem is not None  # no job picked: a prospect, no stage
    assert decide(facts(adding=True, job_picked=True)).problem is None


def test_lever_policy_needs_an_opportunity_and_takes_invited_lever_users_as_the_panel() -> None:
    decide = LEVER.write_policy.decide
    assert decide(facts()).interviewer_ids == ("u-1", "u-7")  # organizer first, each once
    assert decide(facts(candidate_remote_id=None)).problem == "the candidate has no opportunity in Lever"
    assert LEVER.write_policy.unlinked_problem("Jane Doe") is None
    assert GREENHOUSE.write_policy.unlinked_problem("Jane Doe") is not None


# -- docs/providers.md ---------------------------------------------------------------------------------------


def test_the_provider_table_in_the_docs_is_the_one_the_specs_give() -> None:
    shown = table_in((ROOT / "docs" / "providers.md").read_text(encoding="utf-8"))
    assert shown is not None, "docs/providers.md lost its provider-table markers"
    assert shown == provider_table(all_specs()), "run `python -m adapters.registry --markdown` and paste its table"
    for spec in all_specs():
        assert f"| `{spec.name}` | {spec.label} |" in shown
