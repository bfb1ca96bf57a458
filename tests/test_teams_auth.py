"""Teams settings and the inbound JWT check, with real tokens signed by the fake Bot Framework's keys and the
keys fetched over loopback HTTP from its OpenID metadata."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.errors import ConfigError
from bot.teams import auth
from bot.teams.auth import InboundVerifier, KeysUnavailable, Unauthorized
from bot.teams.config import DEFAULT_OPENID_URL, TeamsConfig
from bot.teams.sandbox import BAD_VARIANTS, FakeBotFramework, FakeMember, Signer

# ---------------------------------------------------------------------------------------------- settings


def test_teams_is_off_without_an_app_id() -> None:
    assert TeamsConfig.from_env({}) is None
    assert TeamsConfig.from_env({"TEAMS_APP_ID": "  ", "SLACK_BOT_TOKEN": "xoxb-1"}) is None


def test_defaults_fill_the_tenant_into_the_token_url() -> None:
    config = TeamsConfig.from_env({"TEAMS_APP_ID": "app-1", "TEAMS_APP_PASSWORD": "s3cret",
                                   "TEAMS_APP_TENANT_ID": "tenant-9"})
    assert config is not None
    assert config.openid_url == DEFAULT_OPENID_URL
    assert config.token_url == "https://login.microsoftonline.com/tenant-9/oauth2/v2.0/token"
    assert config.scope == "https://api.botframework.com/.default"
    assert "s3cret" not in repr(config)
    assert all("s3cret" not in line for line in config.describe("https://bot.example"))
    assert "https://bot.example/api/messages" in config.describe("https://bot.example")[0]


def test_overridden_urls_are_used_as_given() -> None:
    config = TeamsConfig.from_env({
        "TEAMS_APP_ID": "app-1", "TEAMS_APP_PASSWORD": "pw", "TEAMS_APP_TENANT_ID": "t1",
        "HIREBOT_TEAMS_OPENID_URL": "http://127.0.0.1:9/openid",
        "HIREBOT_TEAMS_TOKEN_URL": "http://127.0.0.1:9/{tenant}/token"})
    assert config is not None
    assert (config.openid_url, config.token_url) == ("http://127.0.0.1:9/openid", "http://127.0.0.1:9/t1/token")


@pytest.mark.parametrize(("env", "names"), [
    ({"TEAMS_APP_ID": "a", "TEAMS_APP_TENANT_ID": "t"}, "TEAMS_APP_PASSWORD"),
    ({"TEAMS_APP_ID": "a", "TEAMS_APP_PASSWORD": "p"}, "TEAMS_APP_TENANT_ID"),
    ({"TEAMS_APP_ID": "a", "TEAMS_APP_PASSWORD": "p", "TEAMS_APP_TENANT_ID": "t",
      "HIREBOT_TEAMS_OPENID_URL": "login.botframework.com"}, "HIREBOT_TEAMS_OPENID_URL"),
    ({"TEAMS_APP_ID": "a", "TEAMS_APP_PASSWORD": "p", "TEAMS_APP_TENANT_ID": "t",
      "HIREBOT_TEAMS_TOKEN_URL": "ftp://x/{tenant}"}, "HIREBOT_TEAMS_TOKEN_URL"),
])
def test_half_done_settings_name_what_to_fix(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        TeamsConfig.from_env(env)


# ---------------------------------------------------------------------------------------------- JWT check


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotFramework]:
    bf = FakeBotFramework()
    await bf.start()
    yield bf
    await bf.close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def config_for(fake: FakeBotFramework) -> TeamsConfig:
    config = TeamsConfig.from_env(fake.env())
    assert config is not None
    return config


@pytest.fixture
def ada(fake: FakeBotFramework) -> FakeMember:
    return fake.add_member("Ada Lovelace", "ada@acme.test")


async def test_a_good_token_gives_its_claims(fake: FakeBotFramework, http: httpx.AsyncClient,
                                            ada: FakeMember) -> None:
    verifier = InboundVerifier(config_for(fake), client=http)
    activity = fake.activities().message(ada, "who is Jane")
    claims = await verifier.verify(fake.signer().authorization(activity), activity)
    assert claims["aud"] == fake.app_id
    assert claims["serviceurl"] == activity["serviceUrl"]
    assert claims["iss"] == "https://api.botframework.com"


@pytest.mark.parametrize("variant", BAD_VARIANTS)
async def test_every_bad_token_is_refused(fake: FakeBotFramework, http: httpx.AsyncClient, ada: FakeMember,
                                          variant: str) -> None:
    verifier = InboundVerifier(config_for(fake), client=http)
    activity = fake.activities().invoke(ada, "send", {"draft": 1}, scope="channel")
    signer = fake.signer()
    await verifier.verify(signer.authorization(activity), activity)  # the same request, well signed, passes
    with pytest.raises(Unauthorized):
        await verifier.verify(signer.authorization(activity, variant), activity)


async def test_refusals_say_why(fake: FakeBotFramework, http: httpx.AsyncClient, ada: FakeMember) -> None:
    verifier = InboundVerifier(config_for(fake), client=http)
    activity = fake.activities().message(ada, "help")
    signer = fake.signer()
    expected = {"none": "no Authorization", "garbled": "garbled", "alg_none": "not RS256",
                "foreign_key": "unknown key", "forged_signature": "signature", "wrong_audience": "another app",
                "expired": "expired", "not_yet_valid": "not valid yet", "wrong_issuer": "issuer",
                "mismatched_serviceurl": "serviceurl"}
    for variant, reason in expected.items():
        with pytest.raises(Unauthorized, match=reason):
            await verifier.verify(signer.authorization(activity, variant), activity)
    with pytest.raises(Unauthorized, match="bearer"):
        await verifier.verify("Basic YWRhOnB3", activity)


async def test_a_token_for_one_service_url_cannot_carry_another_activity(
        fake: FakeBotFramework, http: httpx.AsyncClient, ada: FakeMember) -> None:
    verifier = InboundVerifier(config_for(fake), client=http)
    europe = fake.activities("emea").message(ada, "hi")
    americas = fake.activities("amer").message(ada, "hi")
    header = fake.signer().authorization(europe)
    await verifier.verify(header, europe)
    with pytest.raises(Unauthorized, match="serviceurl"):
        await verifier.verify(header, americas)
    with pytest.raises(Unauthorized, match="service URL"):
        await verifier.verify(header, {**europe, "serviceUrl": None})


async def test_a_key_endorsed_for_other_channels_is_refused(fake: FakeBotFramework, http: httpx.AsyncClient,
                                                            ada: FakeMember) -> None:
    fake.endorsements = ["skype"]
    verifier = InboundVerifier(config_for(fake), client=http)
    activity = fake.activities().message(ada, "hi")
    with pytest.raises(Unauthorized, match="endorsed"):
        await verifier.verify(fake.signer().authorization(activity), activity)


async def test_keys_are_fetched_once_and_cached(fake: FakeBotFramework, http: httpx.AsyncClient,
                                                ada: FakeMember) -> None:
    verifier = InboundVerifier(config_for(fake), client=http)
    activity = fake.activities().message(ada, "hi")
    signer = fake.signer()
    await asyncio.gather(*(verifier.verify(signer.authorization(activity), activity) for _ in range(20)))
    assert (fake.metadata_fetches, fake.jwks_fetches) == (1, 1)


async def test_keys_are_fetched_again_when_hours_old(fake: FakeBotFramework, http: httpx.AsyncClient,
                                                     ada: FakeMember) -> None:
    now = [1_000_000.0]
    verifier = InboundVerifier(config_for(fake), client=http, clock=lambda: now[0])
    activity = fake.activities().message(ada, "hi")
    await verifier.verify(fake.signer().authorization(activity), activity)
    now[0] += auth.KEY_CACHE_SECONDS + 1
    await verifier.verify(fake.signer().authorization(activity), activity)
    assert fake.jwks_fetches == 2


async def test_a_rotated_key_is_picked_up_by_one_refresh(fake: FakeBotFramework, http: httpx.AsyncClient,
                                                         ada: FakeMember) -> None:
    verifier = InboundVerifier(config_for(fake), client=http)
    activity = fake.activities().message(ada, "hi")
    signer = fake.signer()
    await verifier.verify(signer.authorization(activity), activity)
    fake.rotate_key()
    await asyncio.gather(*(verifier.verify(signer.authorization(activity), activity) for _ in range(5)))
    assert fake.jwks_fetches == 2


async def test_unknown_keys_cannot_make_it_refetch_on_every_request(
        fake: FakeBotFramework, http: httpx.AsyncClient, ada: FakeMember) -> None:
    now = [1_000_000.0]
    verifier = InboundVerifier(config_for(fake), client=http, clock=lambda: now[0])
    activity = fake.activities().message(ada, "hi")
    signer = fake.signer()
    for _ in range(10):
        with pytest.raises(Unauthorized, match="unknown key"):
            await verifier.verify(signer.authorization(activity, "foreign_key"), activity)
    assert fake.jwks_fetches == 2  # the first fetch and one refresh for the new kid
    now[0] += auth.UNKNOWN_KID_MEMORY_SECONDS + 1
    with pytest.raises(Unauthorized):
        await verifier.verify(signer.authorization(activity, "foreign_key"), activity)
    assert fake.jwks_fetches == 3
    fresh = signer.token(activity["serviceUrl"], key=fake.rotate_key())
    now[0] += auth.UNKNOWN_KID_REFRESH_SECONDS + 1
    await verifier.verify(f"Bearer {fresh}", activity)


async def test_unreachable_keys_refuse_rather_than_accept(http: httpx.AsyncClient) -> None:
    fake = FakeBotFramework()
    await fake.start()
    activity = fake.activities().message(fake.add_member("Ada", "ada@acme.test"), "hi")
    header = fake.signer().authorization(activity)
    config = config_for(fake)
    await fake.close()
    with pytest.raises(KeysUnavailable):
        await InboundVerifier(config, client=http).verify(header, activity)


async def test_signer_needs_no_running_server_for_tokens() -> None:
    fake = FakeBotFramework()
    token = Signer(fake).token("https://smba.example/amer/")
    assert token.count(".") == 2


async def test_a_token_without_a_kid_needs_a_published_key(fake: FakeBotFramework, http: httpx.AsyncClient,
                                                           ada: FakeMember) -> None:
    import jwt

    verifier = InboundVerifier(config_for(fake), client=http)
    activity = fake.activities().message(ada, "hi")
    fake.rotate_key()
    claims = {"serviceurl": activity["serviceUrl"], "iss": "https://api.botframework.com", "aud": fake.app_id,
              "exp": int(fake.clock()) + 600}
    published = jwt.encode(claims, fake.keys[0].private_key, algorithm="RS256")
    assert "kid" not in jwt.get_unverified_header(published)
    assert (await verifier.verify(f"Bearer {published}", activity))["aud"] == fake.app_id
    signer = fake.signer()
    foreign = jwt.encode(claims, signer._foreign().private_key, algorithm="RS256")
    with pytest.raises(Unauthorized, match="signature"):
        await verifier.verify(f"Bearer {foreign}", activity)
    expired = jwt.encode({**claims, "exp": int(fake.clock()) - 3600}, fake.keys[0].private_key, algorithm="RS256")
    with pytest.raises(Unauthorized, match="expired"):
        await verifier.verify(f"Bearer {expired}", activity)


async def test_a_body_that_is_no_activity_is_refused(fake: FakeBotFramework, http: httpx.AsyncClient,
                                                     ada: FakeMember) -> None:
    verifier = InboundVerifier(config_for(fake), client=http)
    header = fake.signer().authorization(fake.activities().message(ada, "hi"))
    with pytest.raises(Unauthorized, match="not an activity"):
        await verifier.verify(header, ["not", "an", "activity"])  # type: ignore[arg-type]
