"""Compound remote ids: panels and notes live under an opportunity, so hirebot stores their ids as
"opportunityId:itemId", and finds the opportunity again from those or from a plain id."""

from __future__ import annotations

from adapters.errors import ConfigError
from adapters.lever.fields import as_text

REMOTE_ID_SEPARATOR = ":"


def join_remote_id(opportunity_id: str, item_id: str) -> str:
    """Panels and notes live under an opportunity, so hirebot stores their ids as "opportunityId:itemId"."""
    return f"{opportunity_id}{REMOTE_ID_SEPARATOR}{item_id}"


def split_remote_id(remote_id: str) -> tuple[str | None, str]:
    opportunity, separator, item = remote_id.strip().partition(REMOTE_ID_SEPARATOR)
    return (opportunity, item) if separator else (None, opportunity)


def opportunity_in(remote_id: str | None) -> str | None:
    """The opportunity of an "opportunityId:itemId" compound id, or the plain id itself."""
    if not as_text(remote_id):
        return None
    opportunity, item = split_remote_id(str(remote_id))
    return opportunity or item


def locate(remote_id: str, opportunity_id: str | None, what: str) -> tuple[str, str]:
    """(opportunity id, item id) of a stored note or panel id; `opportunity_id` fills in a plain one."""
    found_opportunity, item_id = split_remote_id(remote_id)
    opportunity = found_opportunity or as_text(opportunity_id)
    if not opportunity or not item_id:
        raise ConfigError(f"Cannot find that Lever {what}: its id should look like "
                          "\"<opportunity id>:<id>\" as hirebot stored it.")
    return opportunity, item_id


def panel_target(application_remote_id: str | None, candidate_remote_id: str | None) -> tuple[str, str | None]:
    """(opportunity id, application id to link or None) for a panel."""
    application = as_text(application_remote_id)
    opportunity = as_text(candidate_remote_id)
    if application and REMOTE_ID_SEPARATOR in application:
        found_opportunity, application = split_remote_id(application)
        opportunity = opportunity or found_opportunity
    if opportunity is None:
        if application is None:
            raise ConfigError("A Lever interview needs the candidate (opportunity) it is for.")
        return application, None
    return opportunity, application if application and application != opportunity else None
