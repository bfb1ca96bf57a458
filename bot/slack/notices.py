"""Direct messages to hirebot users in Slack, for the scheduler: meeting notices to the organizer (with
Reschedule and Cancel while the meeting is open) and pre-meeting briefings, and finding people by email
(users.lookupByEmail, with users:read.email) so attendees who never wrote to hirebot get theirs.

bot/frontend/notifier.py bridges the scheduler's threads to this; here a message is drawn in Block Kit and
posted to the user's id (which lands in the app's DM with them and needs only chat:write), with the bot
token of their workspace.
"""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.directory import DEFAULT_WORKSPACE
from bot.frontend.protocol import (
    Briefing,
    ChatContact,
    ChatDeliveryError,
    ChatRecipient,
    MeetingNotice,
    Outbound,
    TextNote,
    UnknownOutbound,
)
from bot.replies import Action
from bot.scheduling_chat import CANCEL, RESCHEDULE
from bot.slack.blocks import SlackMessage, action_buttons, render_reply, text_message
from bot.slack.web_api import BotTokens, slack_error

log = logging.getLogger(__name__)

# Slack errors that the same call will meet again however long we wait; the rest are worth a retry.
PERMANENT_SLACK_ERRORS = frozenset({
    "account_inactive", "cannot_dm_bot", "channel_not_found", "invalid_auth", "invalid_blocks", "is_archived",
    "messages_tab_disabled", "missing_scope", "no_permission", "not_authed", "not_in_channel", "token_revoked",
    "user_disabled", "user_not_found", "user_not_visible",
})

# What users.lookupByEmail answers for an address no (visible) member of the team has.
NOT_FOUND_ERRORS = frozenset({"users_not_found", "user_not_found", "user_not_visible", "account_inactive"})


def notice_message(text: str, meeting_id: int, *, with_buttons: bool) -> SlackMessage:
    """The notice (escaped) with Reschedule and Cancel buttons, handled like those on meeting cards."""
    message = text_message(text)
    if not with_buttons:
        return message
    buttons = action_buttons((Action("Reschedule", command=RESCHEDULE, value=str(meeting_id)),
                              Action("Cancel", command=CANCEL, value=str(meeting_id))))
    return SlackMessage(text=message.text, blocks=[
        *message.blocks, {"type": "actions", "block_id": f"meeting.{meeting_id}.actions", "elements": buttons}])


def outbound_message(event: Outbound) -> SlackMessage:
    """An outbound event drawn in Block Kit; UnknownOutbound for a type Slack has no drawing for."""
    match event:
        case MeetingNotice():
            return notice_message(event.text, event.meeting_id, with_buttons=event.meeting_open)
        case Briefing():
            return render_reply(event.reply)
        case TextNote():
            return text_message(event.text)
    raise UnknownOutbound("Slack", event)


class SlackDirectMessages:
    """Slack's side of the notifier bridge (bot.frontend.protocol.DirectMessages)."""

    name = "slack"
    label = "Slack"

    def __init__(self, client: AsyncWebClient, tokens: BotTokens, *, multi_workspace: bool) -> None:
        self.client = client
        self.tokens = tokens
        self.multi_workspace = multi_workspace

    def serves(self, recipient: ChatRecipient) -> bool:
        """Whether the recipient's workspace is one of this Slack front end's."""
        # OAuth installs give each Slack team its own workspace; one configured workspace is the default one.
        return (recipient.platform == "slack" if self.multi_workspace
                else (recipient.platform, recipient.workspace) == DEFAULT_WORKSPACE)

    def reaches(self, recipient: ChatRecipient) -> bool:
        return bool(recipient.chat_user_id) and self.serves(recipient)

    async def find_by_email(self, recipient: ChatRecipient, email: str) -> ChatContact | None:
        """The Slack user with this address in the recipient's team (users.lookupByEmail); None when Slack
        has nobody with it, or only an app or a deactivated account."""
        if not self.serves(recipient):
            return None
        team_id = recipient.workspace if self.multi_workspace else None
        client = self.client  # named `client`: tests/test_slack_manifest.py finds Web API calls by it
        try:
            token = await self.tokens.for_team(team_id)
            response = await client.users_lookupByEmail(token=token, email=email)
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in NOT_FOUND_ERRORS:
                return None
            log.error("Slack refused to look up a user by email (team %s): %s", team_id, error)
            raise ChatDeliveryError(f"Slack refused to look people up by email ({error}).",
                                    retryable=error not in PERMANENT_SLACK_ERRORS) from None
        except (TimeoutError, SlackClientError, aiohttp.ClientError, OSError) as exc:
            log.error("could not reach Slack to look up a user by email: %r", exc)
            raise ChatDeliveryError("Slack couldn't be reached.", retryable=True) from None
        user = response.get("user") or {}
        if not user.get("id") or user.get("is_bot") or user.get("deleted"):
            return None
        profile = user.get("profile") or {}
        return ChatContact(chat_user_id=str(user["id"]),
                           display_name=profile.get("real_name") or user.get("real_name") or None,
                           timezone=user.get("tz") or None)

    async def direct_message(self, recipient: ChatRecipient, event: Outbound) -> None:
        message = outbound_message(event)
        team_id = recipient.workspace if self.multi_workspace else None
        slack_user = recipient.chat_user_id or ""  # reaches() made sure there is one
        what = _describe(event)
        client = self.client  # named `client`: tests/test_slack_manifest.py finds Web API calls by it
        try:
            token = await self.tokens.for_team(team_id)
            # Posting to a user id lands in the app's DM with them and needs only chat:write.
            await client.chat_postMessage(token=token, channel=slack_user, **message.as_kwargs())
        except SlackApiError as exc:
            error = slack_error(exc)
            log.error("Slack refused the %s for %s (team %s): %s", what, slack_user, team_id, error)
            raise ChatDeliveryError(f"Slack refused the message ({error}).",
                                    retryable=error not in PERMANENT_SLACK_ERRORS) from None
        except ChatDeliveryError:
            log.error("no Slack token for the %s (team %s)", what, team_id)
            raise
        except (TimeoutError, SlackClientError, aiohttp.ClientError, OSError) as exc:
            log.error("could not reach Slack for the %s for %s: %r", what, slack_user, exc)
            raise ChatDeliveryError("Slack couldn't be reached.", retryable=True) from None


def _describe(event: Outbound) -> str:
    """For log lines: which message this was."""
    if isinstance(event, MeetingNotice | Briefing):
        return f"{type(event).__name__.lower()} about meeting {event.meeting_id}"
    return "message"
