"""Booking tokens: round trip, expiry, tampering of every byte, wrong key or purpose, junk input, uniqueness."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.tokens import (
    TokenExpired,
    TokenInvalid,
    booking_token,
    derive_token_key,
    read_token,
)

KEY = derive_token_key(b"app secret for the token tests")
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(days=6)


def test_a_token_round_trips_its_claims() -> None:
    token = booking_token(42, "book", EXPIRES, key=KEY)
    claims = read_token(token, key=KEY, now=NOW)
    assert (claims.meeting_id, claims.purpose, claims.expires_at) == (42, "book", EXPIRES)
    manage = read_token(booking_token(7, "manage", EXPIRES, key=KEY), key=KEY, now=NOW)
    assert (manage.meeting_id, manage.purpose) == (7, "manage")


def test_a_token_is_url_safe_and_short_enough_for_an_email_link() -> None:
    token = booking_token(2**40, "manage", EXPIRES, key=KEY)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(token) < 100


def test_tokens_for_the_same_meeting_differ_so_none_can_be_guessed_from_another() -> None:
    tokens = {booking_token(42, "book", EXPIRES, key=KEY) for _ in range(200)}
    assert len(tokens) == 200


def test_an_expired_token_is_refused_after_its_time_and_says_so() -> None:
    token = booking_token(42, "book", EXPIRES, key=KEY)
    assert read_token(token, key=KEY, now=EXPIRES - timedelta(seconds=1)).meeting_id == 42
    with pytest.raises(TokenExpired) as expired:
        read_token(token, key=KEY, now=EXPIRES)
    assert expired.value.claims.meeting_id == 42
    assert "expired" in str(expired.value)


def test_changing_any_byte_makes_the_token_invalid() -> None:
    token = booking_token(42, "book", EXPIRES, key=KEY)
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    for index in range(len(raw)):
        forged = bytearray(raw)
        forged[index] ^= 0x01
        candidate = base64.urlsafe_b64encode(bytes(forged)).rstrip(b"=").decode()
        with pytest.raises(TokenInvalid):
            read_token(candidate, key=KEY, now=NOW)


def test_a_token_for_another_meeting_cannot_be_made_by_editing_the_id() -> None:
    token = booking_token(42, "book", EXPIRES, key=KEY)
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[1:9] = (43).to_bytes(8, "big")  # the meeting id field
    with pytest.raises(TokenInvalid):
        read_token(base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode(), key=KEY, now=NOW)


def test_another_key_cannot_read_or_forge_tokens() -> None:
    token = booking_token(42, "book", EXPIRES, key=KEY)
    other = derive_token_key(b"another installation's secret")
    with pytest.raises(TokenInvalid):
        read_token(token, key=other, now=NOW)
    assert derive_token_key(b"app secret for the token tests") == KEY != other


@pytest.mark.parametrize("junk", ["", "abc", "not a token at all", "é" * 40, "A" * 300, "AQ==", "..",
                                  "AQAAAAAAAAAqAAAAAHDb2IAATy2s2mhYA6vAjA6czsHUnXoEiPidb520uAJte7-HJkDaMY7Hw9UBiS1H4Zw"])
def test_junk_and_unknown_tokens_are_invalid_never_a_crash(junk: str) -> None:
    with pytest.raises(TokenInvalid):
        read_token(junk, key=KEY, now=NOW)


def test_a_truncated_or_padded_token_is_invalid() -> None:
    token = booking_token(42, "book", EXPIRES, key=KEY)
    for variant in (token[:-1], token + "A", token + "=", " " + token, token.upper()):
        with pytest.raises(TokenInvalid):
            read_token(variant, key=KEY, now=NOW)


def test_bad_arguments_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="purpose"):
        booking_token(1, "admin", EXPIRES, key=KEY)
    with pytest.raises(ValueError, match="aware"):
        booking_token(1, "book", datetime(2026, 12, 7), key=KEY)
    with pytest.raises(ValueError, match="16 bytes"):
        booking_token(1, "book", EXPIRES, key=b"short")
