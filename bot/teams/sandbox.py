"""A fake Bot Framework, both ways, for tests, benchmarks and trying hirebot without a Microsoft tenant.

`FakeBotFramework` is one aiohttp server standing in for everything Teams-side that hirebot talks to:
- the OpenID metadata and its JWKS (RSA keys it generates, with `endorsements`), as at login.botframework.com;
- the Entra token endpoint (`/{tenant}/oauth2/v2.0/token`, client credentials), counting tokens issued;
- the Bot Connector REST API under any serviceUrl path (`{base}/amer/v3/conversations/...`): replies, sends,
  updates, opening a 1:1 chat and member lookups, each checked for a live bearer token and recorded, with
  HTTP 429 + Retry-After and other failures on demand, and 413 for activities over Teams' size limit.
`Signer` mints the JWTs the Bot Framework puts on inbound requests, good and bad (foreign key, wrong audience,
expired, wrong issuer, mismatched serviceurl, ...), and `TeamsActivities` builds the activities Teams sends
(messages in personal chats, channels and group chats, card-button invokes, install events).

Run it alone with `python -m bot.teams.sandbox --port 3200`; it prints the variables to start hirebot with.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.teams.config import BOT_FRAMEWORK_ISSUER, BOT_FRAMEWORK_SCOPE, MESSAGES_PATH

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]

OPENID_PATH = "/v1/.well-known/openidconfiguration"
JWKS_PATH = "/v1/.well-known/keys"
TOKEN_PATH = "/{tenant}/oauth2/v2.0/token"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
MAX_ACTIVITY_BYTES = 100 * 1024  # Teams answers 413 MessageSizeTooBig above about this

# What the connector was asked to do (ConnectorCall.kind).
REPLY = "reply"
SEND = "send"
UPDATE = "update"
CREATE_CONVERSATION = "create_conversation"
MEMBER = "member"

_CONNECTOR_PATH = re.compile(
    r"^(?P<prefix>.*?)/v3/conversations"
    r"(?:/(?P<conversation>[^/]+)(?:/activities(?:/(?P<activity>[^/]+))?|/members/(?P<member>[^/]+))?)?/?$")


@dataclass(frozen=True)
class SigningKey:
    """An RSA key the Bot Framework signs inbound tokens with, named by its `kid`."""

    kid: str
    private_key: rsa.RSAPrivateKey = field(repr=False)

    @classmethod
    def generate(cls, kid: str | None = None) -> SigningKey:
        return cls(kid or f"fake-{secrets.token_hex(6)}", rsa.generate_private_key(public_exponent=65537,
                                                                                    key_size=2048))

    def jwk(self, endorsements: list[str]) -> JsonDict:
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**public, "kid": self.kid, "use": "sig", "x5t": self.kid, "endorsements": endorsements}


@dataclass
class FakeMember:
    """A person in the fake tenant, as the connector's member lookup returns them."""

    id: str  # Teams' 29: id
    name: str
    aad_object_id: str
    email: str | None
    user_principal_name: str | None
    tenant_id: str

    def to_json(self) -> JsonDict:
        given, _, surname = self.name.partition(" ")
        member: JsonDict = {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id,
                            "givenName": given, "surname": surname or None, "tenantId": self.tenant_id,
                            "userRole": "user"}
        if self.email:
            member["email"] = self.email
        if self.user_principal_name:
            member["userPrincipalName"] = self.user_principal_name
        return member


@dataclass(frozen=True)
class ConnectorCall:
    """One request the fake connector received (recorded whether or not it was accepted)."""

    kind: str  # REPLY, SEND, UPDATE, CREATE_CONVERSATION or MEMBER
    service_path: str  # the serviceUrl's path it came under, e.g. "/amer"
    conversation_id: str | None
    activity_id: str | None
    member_id: str | None
    body: JsonDict
    token: str | None
    status: int
    received_at: float = field(default_factory=time.monotonic)

    @property
    def cards(self) -> list[JsonDict]:
        """The Adaptive Cards among the activity's attachments."""
        return [a.get("content") or {} for a in self.body.get("attachments") or []
                if isinstance(a, dict) and a.get("contentType") == ADAPTIVE_CARD]

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")


@dataclass
class _Planned:
    status: int
    code: str
    retry_after: int | None
    remaining: int


@dataclass
class FakeBotFramework:
    """The Bot Framework's login, key and connector endpoints on loopback, recording every connector call."""

    app_id: str = "00000000-0000-4000-8000-00000000b075"
    app_password: str = "fake-client-secret"
    tenant_id: str = "00000000-0000-4000-8000-00000000a7e1"
    bot_name: str = "hirebot"
    token_lifetime: int = 3599
    clock: Callable[[], float] = time.time
    calls: list[ConnectorCall] = field(default_factory=list)
    members: dict[str, FakeMember] = field(default_factory=dict)
    base_url: str | None = None
    tokens_issued: int = 0
    token_requests: list[JsonDict] = field(default_factory=list)  # form fields, secret removed

    def __post_init__(self) -> None:
        self.keys: list[SigningKey] = [SigningKey.generate()]
        self.endorsements = ["msteams"]
        self.metadata_fetches = 0
        self.jwks_fetches = 0
        self._tokens: dict[str, float] = {}
        self._planned: dict[str, list[_Planned]] = {}
        self._changed = asyncio.Condition()
        self._serial = itertools.count(1)
        self._conversations: dict[str, str] = {}
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ set-up and inspection

    def add_member(self, name: str, email: str | None, *, member_id: str | None = None,
                   aad_object_id: str | None = None, user_principal_name: str | None = None) -> FakeMember:
        """Someone in the tenant; their UPN defaults to their email, as in most tenants."""
        digest = hashlib.sha256(f"{name}|{email}".encode()).hexdigest()
        member = FakeMember(id=member_id or f"29:1{digest[:40]}",
                            name=name, aad_object_id=aad_object_id or str(uuid.UUID(digest[:32])),
                            email=email, user_principal_name=user_principal_name or email,
                            tenant_id=self.tenant_id)
        self.members[member.id] = member
        return member

    def rotate_key(self) -> SigningKey:
        """Publish a new signing key and sign with it from now on (the old one stays published)."""
        key = SigningKey.generate()
        self.keys.append(key)
        return key

    @property
    def signing_key(self) -> SigningKey:
        return self.keys[-1]

    def fail(self, kind: str, status: int, *, code: str = "ServiceError", retry_after: int | None = None,
             times: int = 1) -> None:
        """The next `times` connector calls of `kind` answer HTTP `status` (with Retry-After if given)."""
        self._planned.setdefault(kind, []).append(_Planned(status, code, retry_after, times))

    def rate_limit(self, kind: str, *, retry_after: int = 1, times: int = 1) -> None:
        self.fail(kind, 429, code="TooManyRequests", retry_after=retry_after, times=times)

    def calls_to(self, kind: str) -> list[ConnectorCall]:
        return [c for c in self.calls if c.kind == kind]

    def accepted(self, kind: str | None = None) -> list[ConnectorCall]:
        """Calls the connector carried out (2xx), optionally of one kind."""
        return [c for c in self.calls if 200 <= c.status < 300 and (kind is None or c.kind == kind)]

    def posts(self) -> list[ConnectorCall]:
        """Activities the bot got into a conversation: replies and sends that were accepted."""
        return [c for c in self.accepted() if c.kind in (REPLY, SEND)]

    async def wait_for(self, kind: str, count: int = 1, timeout: float = 5.0) -> list[ConnectorCall]:
        """Block until `count` accepted calls of `kind` arrived (hirebot answers after acknowledging)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.accepted(kind)) >= count), timeout)
        return self.accepted(kind)

    @property
    def url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("the fake Bot Framework is not serving yet")
        return self.base_url

    def service_url(self, region: str = "amer") -> str:
        """A serviceUrl with a path, as Teams sends (https://smba.trafficmanager.net/amer/)."""
        return f"{self.url}/{region}/"

    @property
    def openid_url(self) -> str:
        return self.url + OPENID_PATH

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH  # HIREBOT_TEAMS_TOKEN_URL fills {tenant}, like the default

    def env(self) -> dict[str, str]:
        """The variables that point hirebot at this fake."""
        return {"TEAMS_APP_ID": self.app_id, "TEAMS_APP_PASSWORD": self.app_password,
                "TEAMS_APP_TENANT_ID": self.tenant_id, "HIREBOT_TEAMS_OPENID_URL": self.openid_url,
                "HIREBOT_TEAMS_TOKEN_URL": self.token_url}

    def signer(self) -> Signer:
        return Signer(self)

    def activities(self, region: str = "amer") -> TeamsActivities:
        return TeamsActivities(service_url=self.service_url(region), app_id=self.app_id,
                               tenant_id=self.tenant_id, bot_name=self.bot_name)

    # ------------------------------------------------------------------ serving

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_get(OPENID_PATH, self._openid)
        app.router.add_get(JWKS_PATH, self._jwks)
        app.router.add_post(TOKEN_PATH, self._token)
        app.router.add_route("*", "/{tail:.*}", self._connector)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on loopback; returns the base URL."""
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0]
        self.base_url = f"http://{bound[0]}:{bound[1]}"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _openid(self, request: web.Request) -> web.Response:
        self.metadata_fetches += 1
        base = f"{request.scheme}://{request.host}"
        return web.json_response({
            "issuer": BOT_FRAMEWORK_ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": base + JWKS_PATH,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        })

    async def _jwks(self, _request: web.Request) -> web.Response:
        self.jwks_fetches += 1
        return web.json_response({"keys": [key.jwk(self.endorsements) for key in self.keys]})

    # ------------------------------------------------------------------ Entra token endpoint

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        self.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if form.get("grant_type") != "client_credentials":
            return _aad_error(400, "unsupported_grant_type", "AADSTS70003: grant_type must be client_credentials.")
        if request.match_info["tenant"] != self.tenant_id:
            return _aad_error(400, "invalid_request", "AADSTS90002: Tenant not found.")
        if form.get("client_id") != self.app_id:
            return _aad_error(400, "unauthorized_client",
                              "AADSTS700016: Application was not found in the directory.")
        if not secrets.compare_digest(form.get("client_secret", ""), self.app_password):
            return _aad_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if form.get("scope") != BOT_FRAMEWORK_SCOPE:
            return _aad_error(400, "invalid_scope", f"AADSTS70011: The scope must be {BOT_FRAMEWORK_SCOPE}.")
        token = f"fake-bf-{secrets.token_urlsafe(24)}"
        self._tokens[token] = self.clock() + self.token_lifetime
        self.tokens_issued += 1
        return web.json_response({"token_type": "Bearer", "expires_in": self.token_lifetime,
                                  "ext_expires_in": self.token_lifetime, "access_token": token})

    def expire_tokens(self) -> None:
        """Every token issued so far stops working (as if an hour had passed)."""
        self._tokens.clear()

    # ------------------------------------------------------------------ Bot Connector

    async def _connector(self, request: web.Request) -> web.Response:
        match = _CONNECTOR_PATH.match(request.path)
        if match is None:
            return _connector_error(404, "NotFound", "No such resource.")
        kind = _kind(request.method, match)
        if kind is None:
            return _connector_error(405, "MethodNotAllowed", "That method is not supported here.")
        raw = await request.read() if request.can_read_body else b""
        body: Any = {}
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        token = _bearer(request)
        status, answer = self._handle(kind, match, body, token, len(raw))
        planned = self._take_planned(kind) if 200 <= status < 300 else None
        headers: dict[str, str] = {}
        if planned is not None:
            status, answer = planned.status, {"error": {"code": planned.code, "message": "Planned failure."}}
            if planned.retry_after is not None:
                headers["Retry-After"] = str(planned.retry_after)
        call = ConnectorCall(kind, match["prefix"], match["conversation"], match["activity"], match["member"],
                             body if isinstance(body, dict) else {}, token, status)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        log.info("fake connector <- %s %s %s -> %s", kind, call.conversation_id or "", _short(call.body), status)
        return web.json_response(answer, status=status, headers=headers)

    def _handle(self, kind: str, match: re.Match[str], body: Any, token: str | None,
                size: int) -> tuple[int, JsonDict]:
        if token is None or self._tokens.get(token, 0) <= self.clock():
            return 401, {"message": "Authorization has been denied for this request."}
        if kind == MEMBER:
            return self._member(match["member"])
        if not isinstance(body, dict):
            return 400, {"error": {"code": "BadSyntax", "message": "The body is not a JSON object."}}
        if kind == CREATE_CONVERSATION:
            return self._create_conversation(body)
        if not isinstance(body.get("type"), str):
            return 400, {"error": {"code": "BadArgument", "message": "Activity type is required."}}
        if size > MAX_ACTIVITY_BYTES:
            return 413, {"error": {"code": "MessageSizeTooBig", "message": "Activity is too large."}}
        if kind == UPDATE:
            return 200, {"id": match["activity"]}
        return 201, {"id": f"{1_700_000_000_000 + next(self._serial)}"}

    def _member(self, member_id: str) -> tuple[int, JsonDict]:
        member = self.members.get(member_id) or next(
            (m for m in self.members.values() if m.aad_object_id == member_id), None)
        if member is None:
            return 404, {"error": {"code": "MemberNotFoundInConversation", "message": "The member was not found."}}
        return 200, member.to_json()

    def _create_conversation(self, body: JsonDict) -> tuple[int, JsonDict]:
        members = body.get("members")
        channel_data = body.get("channelData") if isinstance(body.get("channelData"), dict) else {}
        tenant = ((channel_data or {}).get("tenant") or {}).get("id") or body.get("tenantId")
        if not isinstance(members, list) or len(members) != 1 or not isinstance(members[0], dict):
            return 400, {"error": {"code": "BadArgument", "message": "A 1:1 chat needs exactly one member."}}
        if tenant != self.tenant_id:
            return 400, {"error": {"code": "BadArgument", "message": "The tenant id is missing or unknown."}}
        wanted = str(members[0].get("id") or "")
        status, member = self._member(wanted)
        if status != 200:
            return 403, {"error": {"code": "Forbidden", "message": "The bot is not installed for that user."}}
        conversation = self._conversations.setdefault(member["id"], "a:1" + secrets.token_urlsafe(30))
        return 201, {"id": conversation}

    def _take_planned(self, kind: str) -> _Planned | None:
        queue = self._planned.get(kind) or []
        if not queue:
            return None
        planned = queue[0]
        planned.remaining -= 1
        if planned.remaining <= 0:
            queue.pop(0)
        return planned


def _kind(method: str, match: re.Match[str]) -> str | None:
    if match["member"]:
        return MEMBER if method == "GET" else None
    if match["activity"]:
        return {"POST": REPLY, "PUT": UPDATE}.get(method)
    if match["conversation"]:
        return SEND if method == "POST" else None
    return CREATE_CONVERSATION if method == "POST" else None


def _aad_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description, "error_codes": [],
                              "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")}, status=status)


def _connector_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _short(body: JsonDict) -> str:
    text = json.dumps(body, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:299] + "…"


# ------------------------------------------------------------------------------------ Teams -> hirebot

GOOD = "good"
BAD_VARIANTS = ("none", "garbled", "alg_none", "foreign_key", "forged_signature", "wrong_audience", "expired",
                "not_yet_valid", "wrong_issuer", "mismatched_serviceurl")


@dataclass
class Signer:
    """Mints the JWTs the Bot Framework sends with each activity, good and bad, with the fake's keys."""

    fake: FakeBotFramework
    foreign: SigningKey | None = None

    def token(self, service_url: str, *, audience: str | None = None, issuer: str = BOT_FRAMEWORK_ISSUER,
              lifetime: int = 3600, issued_at: float | None = None, key: SigningKey | None = None,
              kid: str | None = None, claims: JsonDict | None = None) -> str:
        now = int(self.fake.clock() if issued_at is None else issued_at)
        key = key or self.fake.signing_key
        payload: JsonDict = {"serviceurl": service_url, "nbf": now - 5, "exp": now + lifetime, "iss": issuer,
                             "aud": self.fake.app_id if audience is None else audience, **(claims or {})}
        return jwt.encode(payload, key.private_key, algorithm="RS256", headers={"kid": kid or key.kid})

    def authorization(self, activity: JsonDict, variant: str = GOOD) -> str | None:
        """The Authorization header value for `activity`: GOOD, or one of BAD_VARIANTS (None for "none")."""
        service_url = str(activity.get("serviceUrl") or "")
        now = int(self.fake.clock())
        if variant == GOOD:
            token = self.token(service_url)
        elif variant == "none":
            return None
        elif variant == "garbled":
            token = "not-a.jwt"
        elif variant == "alg_none":
            token = jwt.encode({"serviceurl": service_url, "iss": BOT_FRAMEWORK_ISSUER, "aud": self.fake.app_id,
                                "exp": now + 3600}, "", algorithm="none",
                               headers={"kid": self.fake.signing_key.kid})
        elif variant == "foreign_key":
            token = self.token(service_url, key=self._foreign())
        elif variant == "forged_signature":
            token = self.token(service_url, key=self._foreign(), kid=self.fake.signing_key.kid)
        elif variant == "wrong_audience":
            token = self.token(service_url, audience="11111111-2222-4333-8444-555555555555")
        elif variant == "expired":
            token = self.token(service_url, issued_at=now - 7200, lifetime=3600)
        elif variant == "not_yet_valid":
            token = self.token(service_url, claims={"nbf": now + 3600, "exp": now + 7200})
        elif variant == "wrong_issuer":
            token = self.token(service_url, issuer="https://sts.windows.net/not-the-bot-framework/")
        elif variant == "mismatched_serviceurl":
            token = self.token("https://smba.trafficmanager.net/elsewhere/")
        else:
            raise ValueError(f"unknown token variant {variant!r}")
        return f"Bearer {token}"

    def headers(self, activity: JsonDict, variant: str = GOOD) -> dict[str, str]:
        """Request headers for POSTing `activity` to hirebot's /api/messages."""
        headers = {"Content-Type": "application/json"}
        authorization = self.authorization(activity, variant)
        if authorization is not None:
            headers["Authorization"] = authorization
        return headers

    def _foreign(self) -> SigningKey:
        if self.foreign is None:
            self.foreign = SigningKey.generate("foreign-key")
        return self.foreign


@dataclass
class TeamsActivities:
    """Builds activities as Teams sends them to the bot (camelCase JSON, as on the wire)."""

    service_url: str
    app_id: str
    tenant_id: str
    bot_name: str = "hirebot"
    clock: Callable[[], float] = time.time
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def bot(self) -> JsonDict:
        return {"id": f"28:{self.app_id}", "name": self.bot_name}

    def personal_conversation_id(self, member: FakeMember) -> str:
        return "a:1" + hashlib.sha256(member.id.encode()).hexdigest()[:40]

    def _base(self, activity_type: str, member: FakeMember, scope: str, *,
              conversation_id: str | None = None) -> JsonDict:
        n = next(self._serial)
        stamp = datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        activity: JsonDict = {
            "type": activity_type, "id": f"{1_700_000_000_000 + n}", "timestamp": stamp,
            "localTimestamp": stamp, "serviceUrl": self.service_url, "channelId": "msteams",
            "from": {"id": member.id, "name": member.name, "aadObjectId": member.aad_object_id},
            "recipient": self.bot, "locale": "en-US",
            "channelData": {"tenant": {"id": self.tenant_id}},
        }
        if scope == "personal":
            conversation: JsonDict = {"conversationType": "personal", "tenantId": self.tenant_id,
                                      "id": conversation_id or self.personal_conversation_id(member)}
        elif scope == "channel":
            channel = "19:general0000000000000000000000@thread.tacv2"
            conversation = {"isGroup": True, "conversationType": "channel", "tenantId": self.tenant_id,
                            "id": conversation_id or f"{channel};messageid={activity['id']}"}
            activity["channelData"].update({
                "teamsChannelId": channel, "teamsTeamId": "19:team000000000000000000000000@thread.tacv2",
                "channel": {"id": channel, "name": "General"},
                "team": {"id": "19:team000000000000000000000000@thread.tacv2", "name": "Recruiting",
                         "aadGroupId": "6f1a1c9e-0000-4000-8000-000000000001"}})
        elif scope == "groupChat":
            conversation = {"isGroup": True, "conversationType": "groupChat", "tenantId": self.tenant_id,
                            "id": conversation_id or "19:group0000000000000000000000000@thread.v2"}
        else:
            raise ValueError(f"unknown scope {scope!r}")
        activity["conversation"] = conversation
        return activity

    def message(self, member: FakeMember, text: str, *, scope: str = "personal", mention_bot: bool | None = None,
                conversation_id: str | None = None) -> JsonDict:
        """A message; outside a personal chat it @mentions the bot first, as Teams only delivers those."""
        activity = self._base("message", member, scope, conversation_id=conversation_id)
        activity["textFormat"] = "plain"
        entities: list[JsonDict] = [{"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web",
                                     "timezone": "Europe/Berlin"}]
        if mention_bot if mention_bot is not None else scope != "personal":
            mention = f"<at>{self.bot_name}</at>"
            text = f"{mention} {text}"
            entities.append({"type": "mention", "text": mention, "mentioned": self.bot})
        activity["text"] = text
        activity["entities"] = entities
        return activity

    def submit(self, member: FakeMember, value: JsonDict, *, scope: str = "personal",
               reply_to_id: str | None = None) -> JsonDict:
        """An Action.Submit click: a message with no text and the card's data and inputs as `value`."""
        activity = self._base("message", member, scope)
        activity["value"] = value
        if reply_to_id:
            activity["replyToId"] = reply_to_id
        return activity

    def invoke(self, member: FakeMember, verb: str, data: JsonDict | None = None, *, scope: str = "personal",
               reply_to_id: str | None = None, conversation_id: str | None = None) -> JsonDict:
        """An Action.Execute click: the `adaptiveCard/action` invoke, with the card's data and inputs."""
        activity = self._base("invoke", member, scope, conversation_id=conversation_id)
        activity["name"] = "adaptiveCard/action"
        activity["value"] = {"action": {"type": "Action.Execute", "verb": verb, "data": data or {}},
                             "trigger": "manual"}
        activity["replyToId"] = reply_to_id or f"{1_700_000_000_000 - 1}"
        return activity

    def conversation_update(self, member: FakeMember, *, scope: str = "personal",
                            members_added: list[JsonDict] | None = None) -> JsonDict:
        """The bot (by default) joined a chat or team: Teams' conversationUpdate with membersAdded."""
        activity = self._base("conversationUpdate", member, scope)
        activity["membersAdded"] = members_added if members_added is not None else [{"id": self.bot["id"]}]
        if scope != "personal":
            activity["channelData"]["eventType"] = "teamMemberAdded"
        return activity

    def installation_update(self, member: FakeMember, *, action: str = "add", scope: str = "personal") -> JsonDict:
        """The app was installed ("add") or removed ("remove") by `member`."""
        activity = self._base("installationUpdate", member, scope)
        activity["action"] = action
        activity["channelData"]["source"] = {"name": "message"} if action == "add" else None
        return activity


async def _serve(host: str, port: int) -> None:
    fake = FakeBotFramework()
    member = fake.add_member("Sandbox Recruiter", "recruiter@example.com")
    url = await fake.start(host, port)
    print(f"Fake Bot Framework at {url}; its connector's serviceUrl is {fake.service_url()}. Ctrl-C stops it.")
    print(f"Member {member.id} = {member.email}. Start hirebot with:")
    for name, value in fake.env().items():
        print(f"  {name}={value}")
    print(f"and POST activities signed by bot.teams.sandbox.Signer to {{hirebot}}{MESSAGES_PATH}.")
    try:
        await asyncio.Event().wait()
    finally:
        await fake.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run a fake Bot Framework (login, keys, connector) on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3200)
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(options.host, options.port))


if __name__ == "__main__":
    main()
