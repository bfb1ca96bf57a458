"""Adaptive Cards for Teams: every card validates against the published Adaptive Card 1.5 schema
(tests/data/adaptive-card-1.5.schema.json, from microsoft/AdaptiveCards schemas/1.5.0), ATS and user text is
never read as markdown nor becomes a mention, links are checked, and buttons carry what comes back.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from adapters.registry import all_specs
from bot.connections import ConnectionInfo
from bot.frontend.schedule_draft import ScheduleDraft
from bot.frontend.schedule_form import FormContext, IntakeChoices, ScheduleField, ScheduleForm, form_from_draft
from bot.intake import IntakeTarget
from bot.messages import Person
from bot.replies import Action, Card, Choice, Field, Link, MatchStatus, Reply
from bot.scheduling_chat import CANCEL, DISCARD, INTAKE_SET, INTAKE_TARGETS, RESCHEDULE, SEND
from bot.teams import cards
from bot.teams.markup import neutral_text
from tests.rigs.teams import nodes, shown, valid_card

PROVIDERS = all_specs()

HOSTILE = "**Boss** [click](https://evil.example) <at>Everyone</at> _x_ # H1 <b>b</b>"


def candidate_reply(name: str = "Jane Doe", url: str = "https://app.greenhouse.io/people/42") -> Reply:
    card = Card(title=name, subtitle="Engineer at Acme", fields=(Field("Stage", "Onsite"), Field("Tags", "")),
                links=(Link("Open in Greenhouse", url), Link("LinkedIn", "https://www.linkedin.com/in/jane"),
                       Link("Resume: cv.pdf", "javascript:alert(1)")),
                actions=(Action("Open in Greenhouse", url=url), Action("Schedule", command="schedule", value="7",
                                                                         primary=True)),
                context=("From Greenhouse · synced 5 min ago",), subject_id="7")
    return Reply(text=f"Here's {name}.", intent="who_is", status=MatchStatus.MATCH, cards=(card,), private=True)


def test_candidate_card_has_name_ats_link_freshness_and_a_schedule_button() -> None:
    payload = cards.reply_message(candidate_reply())
    assert payload["type"] == "message"
    [attached] = payload["attachments"]
    assert attached["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = valid_card(attached["content"])
    assert "Jane Doe" in shown(card) and "synced 5 min ago" in shown(card)
    urls = {a["url"] for a in nodes(card, "Action.OpenUrl")}
    assert urls == {"https://app.greenhouse.io/people/42", "https://www.linkedin.com/in/jane"}  # no javascript:
    [schedule] = nodes(card, "Action.Execute")
    assert schedule["verb"] == cards.DO_VERB and schedule["data"] == {"command": "schedule", "value": "7"}
    assert schedule["fallback"]["type"] == "Action.Submit" and schedule["fallback"]["data"]["verb"] == cards.DO_VERB


def test_ats_text_is_never_markdown_nor_a_mention() -> None:
    reply = candidate_reply(name=HOSTILE)
    reply = Reply(text=HOSTILE, intent="who_is", cards=reply.cards,
                  choices=(Choice(HOSTILE, "1", description=HOSTILE),))
    card = valid_card(cards.reply_card(reply))
    assert not nodes(card, "TextBlock")  # TextBlocks read markdown; every text here is a TextRun
    dumped = json.dumps(card, ensure_ascii=False)
    assert "<at>" not in dumped.lower() and "</at>" not in dumped.lower()
    assert "**Boss** [click](https://evil.example)" in shown(card)  # shown as typed
    assert "https://evil.example" not in {a.get("url") for a in nodes(card, "Action.OpenUrl")}
    assert "<at>" not in cards.reply_message(reply)["summary"]


def test_neutral_text_leaves_ordinary_text_alone() -> None:
    assert neutral_text("Attwood <attila@x.io> & co") == "Attwood <attila@x.io> & co"
    assert "<at>" not in neutral_text("<AT>Boss</at>").lower()


def test_few_choices_are_buttons_and_many_are_a_drop_down() -> None:
    few = Reply(text="Which one?", intent="who_is", status=MatchStatus.AMBIGUOUS,
                choices=(Choice("Jane Doe", "1", "Engineer"), Choice("Jane Roe", "2")))
    card = valid_card(cards.reply_card(few))
    buttons = nodes(card, "Action.Execute")
    assert [(b["verb"], b["data"]) for b in buttons] == [
        (cards.PICK_VERB, {"command": "who_is", "value": "1"}), (cards.PICK_VERB, {"command": "who_is", "value": "2"})]
    assert "Which one?" in shown(card) and "Engineer" in shown(card)

    many = Reply(text="Which one?", intent="who_is", choices=tuple(Choice(f"Jane {i}", str(i)) for i in range(120)))
    card = valid_card(cards.reply_card(many))
    [menu] = nodes(card, "Input.ChoiceSet")
    assert len(menu["choices"]) == cards.MAX_CHOICE_OPTIONS
    [show] = nodes(card, "Action.Execute")
    assert show["data"] == {"command": "who_is"}  # the picked value comes back as the input "choice"
    assert "Showing 100 of 120." in shown(card)


def test_a_miss_with_suggestions_offers_them() -> None:
    miss = Reply(text="I couldn't find anyone called \u201cJnae\u201d. Did you mean Jane Doe?", intent="who_is",
                 status=MatchStatus.NONE, choices=(Choice("Jane Doe", "5"),))
    card = valid_card(cards.reply_card(miss))
    assert "Did you mean Jane Doe?" in shown(card)
    assert nodes(card, "Action.Execute")[0]["data"] == {"command": "who_is", "value": "5"}


def draft() -> ScheduleDraft:
    return ScheduleDraft(window_start=datetime(2026, 12, 7, 8, tzinfo=UTC),
                         window_end=datetime(2026, 12, 12, tzinfo=UTC), candidate_id=7, email="jane@example.com",
                         name="Jane Doe", duration=45, title="Interview", attendees=("bob@acme.test",))


def test_proposal_has_send_edit_details_and_dont_send() -> None:
    card = Card(title="Interview with Jane Doe", fields=(Field("When", "next week"),), kind=cards.PROPOSAL_KIND)
    reply = Reply(text="Shall I send the request?", intent="schedule", cards=(card,), private=True,
                  choices=(Choice("Send", "DRAFT", "Jane gets an email.", command=SEND),
                           Choice("Change where to add them", "3", command=INTAKE_TARGETS),
                           Choice("Don't send", "", command=DISCARD)),
                  extra={"draft": draft().to_json()})
    rendered = valid_card(cards.reply_card(reply))
    buttons = [(a["title"], a["verb"], a["data"]) for a in rendered["actions"]]
    assert buttons == [("Send", cards.PICK_VERB, {"command": SEND, "value": "DRAFT"}),
                       ("Edit details", cards.EDIT_VERB, {"draft": draft().to_json()}),
                       ("Change where to add them", cards.PICK_VERB, {"command": INTAKE_TARGETS, "value": "3"}),
                       ("Don't send", cards.PICK_VERB, {"command": DISCARD, "value": "-"})]
    assert "Shall I send the request?" in shown(rendered) and "Jane gets an email." in shown(rendered)


def test_edit_form_is_prefilled_and_shows_each_problem_under_its_field() -> None:
    context = FormContext(draft(), "Europe/Berlin")
    form = form_from_draft(draft(), context.tz)
    card = valid_card(cards.schedule_form_card(form, context))
    inputs = {i["id"]: i for kind in ("Input.Text", "Input.Date", "Input.ChoiceSet") for i in nodes(card, kind)}
    assert inputs["title"]["value"] == "Interview" and inputs["duration"]["value"] == "45"
    assert inputs["first_day"]["value"] == "2026-12-07" and inputs["last_day"]["value"] == "2026-12-12"
    assert inputs["emails"]["value"] == "bob@acme.test" and "add_to" not in inputs
    [send] = card["actions"]
    assert send["verb"] == cards.FORM_VERB
    assert ScheduleDraft.from_dict(send["data"]["draft"]) == draft() and send["data"]["tz"] == "Europe/Berlin"

    bad = ScheduleForm(title="", duration=45, first_day=date(2026, 12, 9), last_day=date(2026, 12, 8),
                       emails="nope")
    problems = {ScheduleField.TITLE: "Give the meeting a title.",
                ScheduleField.LAST_DAY: "The last day can't be before the first day.",
                ScheduleField.EMAILS: "\u201cnope\u201d isn't an email address."}
    card = valid_card(cards.schedule_form_card(bad, context, problems=problems, error="Try again"))
    body = card["body"]
    ids = [b.get("id") for b in body]
    for field, sentence in problems.items():
        after = body[ids.index(cards.FORM_FIELDS[field]) + 1]
        assert sentence in shown(after)
    assert "Try again" in shown(body[0])


def test_edit_form_for_someone_in_no_ats_asks_where_to_add_them() -> None:
    intake_draft = ScheduleDraft(window_start=draft().window_start, window_end=draft().window_end,
                                 email="new@example.com", intake_id=4)
    targets = (IntakeTarget(1, "greenhouse", "greenhouse", "J1", "Engineer"),
               IntakeTarget(1, "greenhouse", "greenhouse"))
    intake = IntakeChoices(targets=targets, current=targets[0], linkedin_url=None)
    context = FormContext(intake_draft, "UTC")
    form = form_from_draft(intake_draft, context.tz, intake)
    card = valid_card(cards.schedule_form_card(form, context, intake=intake))
    [target] = [i for i in nodes(card, "Input.ChoiceSet") if i["id"] == "add_to"]
    assert target["value"] == "1:J1" and [c["value"] for c in target["choices"]] == ["1:J1", "1:"]
    assert any(i["id"] == "linkedin" for i in nodes(card, "Input.Text"))


def test_notice_offers_reschedule_and_cancel_each_asking_first() -> None:
    card = valid_card(cards.notice_card("Jane booked Tuesday 10:00.", 12, with_buttons=True))
    assert [a["type"] for a in card["actions"]] == ["Action.ShowCard", "Action.ShowCard"]
    inner = [a["card"]["actions"][0] for a in card["actions"]]
    assert [(b["verb"], b["data"]) for b in inner] == [(cards.DO_VERB, {"command": RESCHEDULE, "value": "12"}),
                                                       (cards.DO_VERB, {"command": CANCEL, "value": "12"})]
    assert "actions" not in valid_card(cards.notice_card("Declined.", 12, with_buttons=False))


def info(provider: str, **overrides: Any) -> ConnectionInfo:
    values: dict[str, Any] = dict(id=3, provider=provider, label="Greenhouse", scope="org", name=HOSTILE,
                                  last_sync_at=datetime(2026, 12, 1, 9, tzinfo=UTC), candidate_count=1200,
                                  last_error="429 <at>x</at>")
    values.update(overrides)
    return ConnectionInfo(**values)


def test_directory_lists_every_provider_and_connections_with_remove_for_admins() -> None:
    admin = Person(workspace_id=1, user_id=1, email="a@x.io", is_admin=True)
    member = Person(workspace_id=1, user_id=2, email="m@x.io")
    connections = [info(PROVIDERS[0].name)]
    card = valid_card(cards.directory_card(PROVIDERS, connections, admin, note="Greenhouse is synced"))
    adds = [a for a in nodes(card, "Action.Execute") if a["verb"] == cards.CONNECT_FORM_VERB]
    assert [a["data"]["provider"] for a in adds] == [spec.name for spec in PROVIDERS]
    assert any(a["verb"] == cards.REMOVE_VERB for a in nodes(card, "Action.Execute"))
    assert "1,200 candidates" in shown(card) and "<at>" not in json.dumps(card, ensure_ascii=False)
    member_card = valid_card(cards.directory_card(PROVIDERS, connections, member))
    assert not any(a["verb"] == cards.REMOVE_VERB for a in nodes(member_card, "Action.Execute"))


@pytest.mark.parametrize("spec", PROVIDERS, ids=lambda spec: spec.name)
def test_connect_form_is_drawn_from_the_provider_spec(spec: Any) -> None:
    secret_values = {f.name: "s3cret-value" for f in spec.fields}
    card = valid_card(cards.connect_form_card(spec, allow_org=True, error="Greenhouse said 401", values=secret_values,
                                         blanks=[f.name for f in spec.fields[:1]]))
    inputs = {i["id"]: i for kind in ("Input.Text", "Input.ChoiceSet") for i in nodes(card, kind)}
    for form_field in spec.fields:
        element = inputs[cards.FIELD_INPUT_PREFIX + form_field.name]
        assert element.get("isRequired", False) == form_field.required
        if form_field.secret:
            assert element["style"] == "Password" and "value" not in element
    assert ("scope" in inputs) == spec.org_scope_allowed
    assert "Greenhouse said 401" in shown(card)
    if spec.help_text:
        assert spec.help_text[:40] in shown(card)
    connect = card["actions"][0]
    assert connect["verb"] == cards.CONNECT_VERB and connect["data"]["provider"] == spec.name


def test_connect_submission_is_read_back() -> None:
    spec = PROVIDERS[0]
    data = {"provider": spec.name, "scope_offered": True, "scope": "org",
            **{cards.FIELD_INPUT_PREFIX + f.name: f" v-{f.name} " for f in spec.fields}}
    submission = cards.read_connect_submission(data)
    assert submission.provider == spec.name and submission.scope == "org" and submission.scope_offered
    assert submission.values == {f.name: f"v-{f.name}" for f in spec.fields}
    assert cards.blank_required(spec, submission) == []
    assert cards.read_connect_submission({"provider": "x", "scope": "everyone"}).scope == "user"


def test_a_huge_reply_is_cut_to_fit_one_message() -> None:
    many = tuple(Card(title=f"Person {i}", fields=tuple(Field(f"F{j}", "x" * 1500) for j in range(8)))
                 for i in range(10))
    card = valid_card(cards.reply_card(Reply(text="Lots", intent="jobs", cards=many)))
    assert len(json.dumps(card, ensure_ascii=False).encode()) <= cards.MAX_CARD_BYTES
    assert "more than fits" in shown(card["body"][-1])


def test_choices_for_where_to_add_someone_say_pick() -> None:
    reply = Reply(text="Where should I add them?", intent=INTAKE_TARGETS,
                  choices=(Choice("Greenhouse · Engineer", "1:J1", command=INTAKE_SET),))
    card = valid_card(cards.reply_card(reply))
    assert nodes(card, "Action.Execute")[0]["title"] == "Pick"
