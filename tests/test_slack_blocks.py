"""Block Kit rendering: escaping of ATS text, Slack's size limits, choices, the Home tab and the Add modal.

Every rendered block is also parsed by slack_sdk.models, whose validators carry Slack's published limits.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from adapters.registry import all_specs
from bot.connections import ConnectionInfo, provider_spec
from bot.messages import Person
from bot.replies import Action, Card, Choice, Field, Link, MatchStatus, Reply
from bot.scheduling_chat import DISCARD, INTAKE_SET, INTAKE_TARGETS, SEND
from bot.slack.blocks import (
    DO_PREFIX,
    EDIT_ACTION,
    ELLIPSIS,
    LINK_PREFIX,
    MAX_MESSAGE_BLOCKS,
    PICK_PREFIX,
    escape_mrkdwn,
    fit_mrkdwn,
    mrkdwn_link,
    render_card,
    render_choices,
    render_reply,
    safe_url,
)
from bot.slack.home import (
    ADD_ACTION,
    REMOVE_ACTION,
    SCOPE_BLOCK,
    blank_required_fields,
    connect_modal,
    home_view,
    read_connect_form,
)

PROVIDERS = all_specs()
INJECTIONS = ("<!channel>", "<https://evil.example|click>", "<@U0ADMIN>", "<!here|here>", "a & b > c")


def validate_blocks(blocks: list[dict[str, Any]]) -> None:
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]


def text_objects(node: Any) -> list[dict[str, Any]]:
    """Every text object ({"type": "mrkdwn"|"plain_text", "text": ...}) anywhere in a payload."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            found.append(node)
        for value in node.values():
            found.extend(text_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(text_objects(value))
    return found


def hostile_card() -> Card:
    return Card(
        title="<!channel> Jane",
        subtitle="Engineer at <https://evil.example|click>",
        fields=tuple(Field(f"Field {i} <@U0ADMIN>", value) for i, value in enumerate(INJECTIONS)),
        context=("From <!here> · synced just now",),
        actions=(Action("Open in Greenhouse", url="https://app.greenhouse.io/people/1"),
                 Action("Schedule", command="schedule", value="17", primary=True)),
        subject_id="17",
    )


# ------------------------------------------------------------------------------------------ escaping


def test_escape_replaces_ampersand_first() -> None:
    assert escape_mrkdwn("&lt; <b> & >") == "&amp;lt; &lt;b&gt; &amp; &gt;"


@pytest.mark.parametrize("hostile", INJECTIONS)
def test_injected_markup_in_every_mrkdwn_text_is_escaped(hostile: str) -> None:
    card = Card(title=hostile, subtitle=hostile, fields=(Field(hostile, hostile),), context=(hostile,))
    reply = Reply(text=f"Here's {hostile}.", intent="who_is", cards=(card,),
                  choices=(Choice(label=hostile, value="1", description=hostile),))
    message = render_reply(reply)
    mrkdwn_texts = [t["text"] for t in text_objects(message.blocks) if t["type"] == "mrkdwn"]
    assert mrkdwn_texts
    for text in [*mrkdwn_texts, message.text]:
        assert "<" not in text and ">" not in text.replace("&gt;", ""), text
    assert escape_mrkdwn(hostile) in message.text


def test_plain_text_keeps_the_name_as_typed_because_slack_never_parses_it() -> None:
    blocks = render_card(Card(title="<!channel> & co"))
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "<!channel> & co", "emoji": True}}


def test_hostile_card_renders_valid_blocks_and_no_live_mentions() -> None:
    message = render_reply(Reply(text="Here's Jane.", intent="who_is", cards=(hostile_card(),), private=True))
    validate_blocks(message.blocks)
    dumped = json.dumps([t for t in text_objects(message.blocks) if t["type"] == "mrkdwn"])
    for token in ("<!channel>", "<!here", "<@U0ADMIN>", "<https://evil"):
        assert token not in dumped


def test_link_markup_cannot_be_broken_out_of() -> None:
    link = mrkdwn_link("https://x.example/a|b>c", "<!channel>")
    assert link == "<https://x.example/a%7Cb&gt;c|&lt;!channel&gt;>"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.example/f", "https://", "https://x.example/a b",
                                 "https://x.example/" + "a" * 3000, None, ""])
def test_unusable_urls_are_dropped(url: str | None) -> None:
    assert safe_url(url) is None


def test_extra_links_render_as_escaped_mrkdwn_links_and_bad_ones_are_left_out() -> None:
    card = Card(title="Jane", links=(Link("LinkedIn <!channel>", "https://linkedin.example/in/jane"),
                                     Link("Bad", "javascript:alert(1)")))
    section = render_card(card)[1]
    assert section["text"]["text"] == "<https://linkedin.example/in/jane|LinkedIn &lt;!channel&gt;>"


# ------------------------------------------------------------------------------------------ limits


def test_long_values_are_cut_with_an_ellipsis_within_limits() -> None:
    card = Card(title="J" * 400, subtitle="s" * 5000, fields=(Field("Notes", "n" * 5000),),
                context=("c" * 5000,), actions=(Action("B" * 200, command="schedule", value="1"),))
    blocks = render_card(card)
    validate_blocks(blocks)
    header, subtitle, fields, context, actions = blocks
    assert len(header["text"]["text"]) == 150 and header["text"]["text"].endswith(ELLIPSIS)
    assert len(subtitle["text"]["text"]) == 3000 and subtitle["text"]["text"].endswith(ELLIPSIS)
    assert len(fields["fields"][0]["text"]) <= 2000 and fields["fields"][0]["text"].endswith(ELLIPSIS)
    assert len(context["elements"][0]["text"]) <= 2000
    assert len(actions["elements"][0]["text"]["text"]) == 75


def test_cutting_escaped_text_never_leaves_half_an_entity() -> None:
    for size in range(10, 30):
        cut = fit_mrkdwn("&" * 100, size)
        assert len(cut) <= size and cut.endswith(ELLIPSIS)
        assert cut[:-1] == "&amp;" * (len(cut[:-1]) // 5)


def test_more_than_ten_fields_are_split_over_sections() -> None:
    card = Card(title="Jane", fields=tuple(Field(f"F{i}", str(i)) for i in range(23)))
    sections = [b for b in render_card(card) if "fields" in b]
    assert [len(s["fields"]) for s in sections] == [10, 10, 3]
    validate_blocks(sections)


def test_a_message_never_exceeds_fifty_blocks() -> None:
    cards = tuple(Card(title=f"Person {i}", fields=(Field("Stage", "Onsite"),), context=("From Lever",))
                  for i in range(40))
    message = render_reply(Reply(text="Many", intent="who_is", cards=cards))
    assert len(message.blocks) == MAX_MESSAGE_BLOCKS
    assert message.blocks[-1]["type"] == "context"
    validate_blocks(message.blocks)


def test_the_card_has_header_fields_context_and_buttons() -> None:
    blocks = render_card(hostile_card(), index=0)
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context", "actions"]
    open_button, schedule = blocks[-1]["elements"]
    assert open_button["url"] == "https://app.greenhouse.io/people/1"
    assert open_button["action_id"].startswith(LINK_PREFIX)
    assert schedule["action_id"].startswith(DO_PREFIX + "schedule.") and schedule["value"] == "17"
    assert schedule["style"] == "primary"


# ------------------------------------------------------------------------------------------ choices


def test_a_few_choices_become_one_row_and_button_each() -> None:
    choices = tuple(Choice(label=f"Jane {i}", value=str(i), description=f"Engineer · Greenhouse {i}")
                    for i in range(3))
    reply = Reply(text="Which one?", intent="who_is", status=MatchStatus.AMBIGUOUS, choices=choices, private=True)
    blocks = render_reply(reply).blocks
    validate_blocks(blocks)
    rows = blocks[1:]
    assert [r["accessory"]["value"] for r in rows] == ["0", "1", "2"]
    assert [r["accessory"]["action_id"] for r in rows] == [f"{PICK_PREFIX}who_is.{i}" for i in range(3)]
    assert "Engineer · Greenhouse 1" in rows[1]["text"]["text"]


def test_many_choices_become_a_select_capped_at_one_hundred_options() -> None:
    choices = tuple(Choice(label=f"Person {i} " + "x" * 100, value=str(i)) for i in range(130))
    blocks = render_reply(Reply(text="Which?", intent="who_is", choices=choices)).blocks
    validate_blocks(blocks)
    select = blocks[1]["accessory"]
    assert select["type"] == "static_select" and select["action_id"] == f"{PICK_PREFIX}who_is.select"
    assert len(select["options"]) == 100
    assert all(len(o["text"]["text"]) <= 75 for o in select["options"])
    assert "100 of 130" in blocks[2]["elements"][0]["text"]


def test_where_to_add_someone_reads_as_such_even_as_a_select() -> None:
    few = tuple(Choice(f"Greenhouse \u00b7 Role {i}", f"5:1:J{i}", None, INTAKE_SET) for i in range(3))
    rows = render_choices(few)
    validate_blocks(rows)
    assert [r["accessory"]["text"]["text"] for r in rows] == ["Pick"] * 3
    assert rows[0]["accessory"]["action_id"] == f"{PICK_PREFIX}{INTAKE_SET}.0"
    many = tuple(Choice(f"Greenhouse \u00b7 {'Very long job title ' * 5}{i}", f"5:1:J{i}", None, INTAKE_SET)
                 for i in range(120))
    blocks = render_choices(many)
    validate_blocks(blocks)
    menu = blocks[0]["accessory"]
    assert blocks[0]["text"]["text"] == "Pick where to add them:"
    assert menu["placeholder"]["text"] == "Choose an ATS and job" and len(menu["options"]) == 100
    assert all(len(o["text"]["text"]) <= 75 for o in menu["options"])
    assert blocks[1]["elements"][0]["text"] == "Showing 100 of 120. Only the first ones fit in one menu."


def test_a_proposal_for_someone_in_no_ats_has_change_where_to_add_them_beside_send() -> None:
    draft = '{"c":null,"e":"jane@example.com","i":5}'
    reply = Reply(text="Here's the meeting I'd propose.", intent="schedule", extra={"draft": draft},
                  cards=(Card(title="Interview", fields=(Field("Adds to", "Greenhouse <!here>"),),
                              kind="meeting_proposal"),),
                  choices=(Choice("Send the request", draft, "Email the candidate a link", SEND),
                           Choice("Change where to add them", "5", "Pick the ATS and job", INTAKE_TARGETS),
                           Choice("Don't send", "", None, DISCARD)))
    blocks = render_reply(reply).blocks
    validate_blocks(blocks)
    [row] = [b for b in blocks if b["type"] == "actions"]
    assert [(e["text"]["text"], e["action_id"], e.get("value")) for e in row["elements"]] == [
        ("Send the request", f"{PICK_PREFIX}{SEND}.0", draft), ("Edit details", EDIT_ACTION, draft),
        ("Change where to add them", f"{PICK_PREFIX}{INTAKE_TARGETS}.1", "5"),
        ("Don't send", f"{PICK_PREFIX}{DISCARD}.2", "-")]
    assert not any(b.get("accessory") for b in blocks)  # not drawn a second time as a list of choices
    assert "Greenhouse &lt;!here&gt;" in json.dumps(blocks)


# ------------------------------------------------------------------------------------------ App Home


ADMIN = Person(workspace_id=1, user_id=1, email="admin@example.com", is_admin=True)
MEMBER = Person(workspace_id=1, user_id=2, email="member@example.com")


def info(**overrides: Any) -> ConnectionInfo:
    values: dict[str, Any] = dict(id=7, provider="greenhouse", label="Greenhouse", scope="org", name="Greenhouse",
                                  last_sync_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC), candidate_count=1234,
                                  last_error=None)
    values.update(overrides)
    return ConnectionInfo(**values)


def test_home_lists_every_provider_with_add_and_connected_ones_with_their_state() -> None:
    view = home_view(PROVIDERS, [info(last_error="401 <!channel> bad key")], ADMIN)
    View(**view).validate_json()
    add_values = [b["accessory"]["value"] for b in view["blocks"]
                  if b.get("accessory", {}).get("action_id") == ADD_ACTION]
    assert add_values == [p.name for p in PROVIDERS if p.available]
    connection = next(b for b in view["blocks"] if b.get("block_id") == "connection.7")
    text = connection["text"]["text"]
    assert "1,234 candidates" in text and "<!date^" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert connection["accessory"]["action_id"] == REMOVE_ACTION and connection["accessory"]["value"] == "7"


def test_only_admins_get_remove_on_workspace_connections() -> None:
    view = home_view(PROVIDERS, [info(), info(id=8, scope="user", name="My Greenhouse")], MEMBER)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert "accessory" not in blocks["connection.7"]
    assert blocks["connection.8"]["accessory"]["action_id"] == REMOVE_ACTION


def test_lever_modal_shows_the_key_permissions_and_asks_only_for_its_fields() -> None:
    spec = provider_spec("lever")
    view = connect_modal(spec, allow_org=True)
    View(**view).validate_json()
    help_text = view["blocks"][0]["text"]["text"]
    assert "read-opportunity" in help_text and "delete-opportunity-note" in help_text
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert inputs == [f"field.{f.name}" for f in spec.fields]  # no scope choice: Lever is per user
    assert json.loads(view["private_metadata"]) == {"provider": "lever"}


def test_greenhouse_modal_offers_the_whole_workspace_to_admins_only() -> None:
    spec = provider_spec("greenhouse")
    assert any(b.get("block_id") == SCOPE_BLOCK for b in connect_modal(spec, allow_org=True)["blocks"])
    assert not any(b.get("block_id") == SCOPE_BLOCK for b in connect_modal(spec, allow_org=False)["blocks"])


def test_a_refused_modal_shows_the_error_and_keeps_only_non_secret_values() -> None:
    spec = provider_spec("greenhouse")
    view = connect_modal(spec, allow_org=False, error="Greenhouse refused the credentials <!here>",
                         values={"client_id": "abc", "client_secret": "s3cret"})
    View(**view).validate_json()
    assert view["blocks"][0]["text"]["text"].endswith("Greenhouse refused the credentials &lt;!here&gt;")
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements["field.client_id"]["initial_value"] == "abc"
    assert "initial_value" not in elements["field.client_secret"]


def test_submitted_values_are_read_back_by_block_id() -> None:
    view = {"private_metadata": json.dumps({"provider": "greenhouse"}), "state": {"values": {
        "field.client_id": {"value": {"type": "plain_text_input", "value": " abc "}},
        "field.client_secret": {"value": {"type": "plain_text_input", "value": "   "}},
        SCOPE_BLOCK: {"value": {"type": "radio_buttons", "selected_option": {"value": "org"}}},
    }}}
    form = read_connect_form(view)
    assert (form.provider, form.scope, form.scope_offered) == ("greenhouse", "org", True)
    assert form.values["client_id"] == "abc"
    assert blank_required_fields(provider_spec("greenhouse"), form) == {
        "field.client_secret": "Client secret is required."}


# ------------------------------------------------------------------------------ formatting characters

FORMATTED_NAMES = ("*Bold* Baker", "_Ita_ Lic", "~Strike~ Out", "`Code` Coder", "Ann `x` *y* _z_ ~w~")


def _showing(blocks: list[dict[str, Any]], typed: str) -> list[dict[str, Any]]:
    return [t for t in text_objects(blocks) if typed in t["text"] or escape_mrkdwn(typed) in t["text"]]


@pytest.mark.parametrize("name", FORMATTED_NAMES)
def test_names_with_slack_formatting_characters_render_as_plain_text(name: str) -> None:
    card = Card(title=name, subtitle=f"Engineer · {name}", fields=(Field("Name", name), Field(name, "Onsite")),
                context=(f"From {name}",), links=(Link(f"{name} CV", "https://files.example/cv"),))
    reply = Reply(text=f"Here's {name}.", intent="who_is", cards=(card,),
                  choices=(Choice(label=name, value="1"), Choice(label="Jane", value="2", description=name)))
    message = render_reply(reply)
    validate_blocks(message.blocks)
    showing = _showing(message.blocks, name)
    assert len(showing) >= 6  # header, subtitle, both fields, context, both choices
    assert all(t["type"] == "plain_text" for t in showing), showing
    for text in (t["text"] for t in text_objects(message.blocks) if t["type"] == "mrkdwn"):
        assert not any(marker in text.replace("*Jane*", "") for marker in "*_~`"), text  # only our own bold
    only_text = render_reply(Reply(text=f"Booked with {name}.", intent="notice"))
    assert only_text.blocks[0]["text"] == {"type": "plain_text", "text": f"Booked with {name}.", "emoji": True}


@pytest.mark.parametrize("name", FORMATTED_NAMES)
def test_connection_names_and_errors_with_formatting_characters_render_as_plain_text(name: str) -> None:
    view = home_view(PROVIDERS, [info(name=name, last_error=f"{name} said no")], ADMIN)
    View(**view).validate_json()
    [block] = [b for b in view["blocks"] if b.get("block_id") == "connection.7"]
    assert block["text"]["type"] == "plain_text"
    assert name in block["text"]["text"] and f"{name} said no" in block["text"]["text"]
    assert "Last sync: 2026-11-20 09:30 UTC" in block["text"]["text"]
