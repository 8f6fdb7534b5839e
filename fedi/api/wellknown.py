"""Discovery: WebFinger (RFC 7033), host-meta (RFC 6415) and NodeInfo 2.0/2.1.

These are the first requests another server or a client makes: WebFinger turns a handle
(``@amina@ke.example``) into an actor URI, host-meta points old software at WebFinger, and
NodeInfo says what software this is and how busy. The instance actor (FEP-d556) is found by
asking WebFinger for the server itself (``resource=https://ke.example/``) or for
``acct:actor@ke.example``. Every answer carries ``Access-Control-Allow-Origin: *`` so web
clients on other origins can read it (RFC 7033 §5).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedi import __version__
from fedi.api.negotiation import ACTIVITY_JSON
from fedi.api.responses import JSONResponse
from fedi.config.normalise import normalise_domain
from fedi.db.base import utcnow
from fedi.db.models import Account, Status, User
from fedi.domain.accounts import USERNAME_RE, local_account
from fedi.domain.site import Site
from fedi.federation.instance_actor import USERNAME as INSTANCE_USERNAME
from fedi.federation.instance_actor import ensure_instance_actor, instance_actor_uri
from fedi.state import AppState

CORS = {"Access-Control-Allow-Origin": "*"}
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
SERVICE = "https://www.w3.org/ns/activitystreams#Service"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/"
NODEINFO_VERSIONS = ("2.0", "2.1")
SOFTWARE_NAME = "jamii"
# NodeInfo 2.1's software links; None until the project publishes them (then they appear).
SOFTWARE_REPOSITORY: str | None = None
SOFTWARE_HOMEPAGE: str | None = None
_PATH_USER = re.compile(r"/(?:users/|@)([^/]+)")


class JRDResponse(JSONResponse):
    media_type = "application/jrd+json; charset=utf-8"


class BadResource(ValueError):
    """A ``resource`` that is not an acct: or http(s) URI we can read: 400, not 404."""


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=CORS)


def _host(raw: str) -> str:
    try:
        return normalise_domain(raw)
    except ValueError:
        raise BadResource(raw) from None


def _from_acct(handle: str, domain: str) -> str | None:
    # "acct:@amina@ke.example" and "@amina@ke.example" are common slips; tolerate them.
    user, at, host = handle.removeprefix("@").rpartition("@")
    if not at or not user or not host:
        raise BadResource(handle)
    if _host(host) != domain or not USERNAME_RE.match(user):
        return None
    return user


def _from_url(url: str, domain: str) -> str | None:
    parts = urlsplit(url)
    if not parts.netloc or "@" in parts.netloc:
        raise BadResource(url)
    if _host(parts.netloc) != domain or parts.query:
        return None
    path = parts.path.rstrip("/")
    if path in ("", "/actor"):  # the server itself (FEP-d556) or the instance actor's id
        return INSTANCE_USERNAME
    found = _PATH_USER.fullmatch(path)
    if found is None or not USERNAME_RE.match(found.group(1)):
        return None
    return found.group(1)


def named_username(resource: str, domain: str) -> str | None:
    """The local username a WebFinger ``resource`` names, or None if it names nothing here.

    ``acct:user@domain``, ``https://domain/users/user`` and ``https://domain/@user`` name a
    teacher; ``https://domain/`` and ``acct:actor@domain`` name the instance actor
    (``actor``). Raises ``BadResource`` when the resource is not a URI we can read.
    """
    text = resource.strip()
    scheme, colon, rest = text.partition(":")
    if scheme.lower() == "acct":
        return _from_acct(rest, domain)
    if scheme.lower() in ("http", "https") and rest.startswith("//"):
        return _from_url(text, domain)
    if not colon or "@" in scheme:  # a bare handle: "amina@ke.example" or "@amina@host:port"
        return _from_acct(text, domain)
    raise BadResource(text)


def _account_jrd(account: Account, site: Site) -> dict[str, Any]:
    profile = account.url or site.profile_url(account.username)
    return {
        "subject": f"acct:{account.username}@{site.domain}",
        "aliases": [profile, account.uri],
        "links": [
            {"rel": PROFILE_PAGE, "type": "text/html", "href": profile},
            {"rel": "self", "type": ACTIVITY_JSON, "href": account.uri},
        ],
    }


def _instance_jrd(actor: Account, site: Site) -> dict[str, Any]:
    # Mastodon's shape (acct subject, "self") plus FEP-d556's Service relation, so both
    # kinds of peers find the actor; the acct subject lets a WebFinger loop-back succeed.
    return {
        "subject": f"acct:{actor.username}@{site.domain}",
        "aliases": [actor.uri],
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor.uri},
            {"rel": SERVICE, "type": ACTIVITY_JSON, "href": actor.uri},
        ],
    }


async def webfinger(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    resource = request.query_params.get("resource", "")
    if not resource.strip():
        return _error(400, "The resource parameter is required")
    try:
        username = named_username(resource, state.config.domain)
    except BadResource:
        return _error(400, "The resource must be an acct: or http(s) URI")
    if username is None:
        return _error(404, "No such account on this server")
    async with state.sessions() as session:
        if username.lower() == INSTANCE_USERNAME:
            actor = await ensure_instance_actor(session, state.site)
            await session.commit()
            jrd = _instance_jrd(actor, state.site)
        else:
            account = await local_account(session, username)
            if account is None or account.uri == instance_actor_uri(state.site):
                return _error(404, "No such account on this server")
            if account.suspended_at is not None:
                return _error(410, "This account is gone")
            jrd = _account_jrd(account, state.site)
    rels = request.query_params.getlist("rel")
    if rels:  # RFC 7033 §4.3: only the links of the asked relations
        jrd["links"] = [link for link in jrd["links"] if link["rel"] in rels]
    return JRDResponse(jrd, headers=CORS)


def _webfinger_template(site: Site) -> str:
    return f"{site.base_url}/.well-known/webfinger?resource={{uri}}"


async def host_meta(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template={quoteattr(_webfinger_template(state.site))}/>\n'
        "</XRD>\n"
    )
    return Response(xml, media_type="application/xrd+xml; charset=utf-8", headers=CORS)


async def host_meta_json(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    links = [{"rel": "lrdd", "template": _webfinger_template(state.site)}]
    return JSONResponse({"links": links}, headers=CORS)


async def nodeinfo_links(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    links = [
        {"rel": f"{NODEINFO_SCHEMA}{v}", "href": f"{state.site.base_url}/nodeinfo/{v}"}
        for v in NODEINFO_VERSIONS
    ]
    return JSONResponse({"links": links}, headers=CORS)


async def _usage(session: AsyncSession) -> dict[str, Any]:
    """Teachers who can log in (not the instance actor, which has no login) and their posts."""
    now = utcnow()

    def active_since(days: int) -> Any:
        since = now - timedelta(days=days)
        recent = or_(User.last_sign_in_at >= since, Account.last_status_at >= since)
        return func.count(case((recent, 1)))

    users = (
        await session.execute(
            select(func.count(), active_since(30), active_since(180))
            .select_from(User)
            .join(Account, Account.id == User.account_id)
            .where(
                Account.domain.is_(None),
                Account.suspended_at.is_(None),
                User.approved.is_(True),
                User.disabled.is_(False),
            )
        )
    ).one()
    posts = await session.scalar(
        select(func.count())
        .select_from(Status)
        .where(Status.local.is_(True), Status.reblog_of_id.is_(None))
    )
    return {
        "users": {"total": users[0], "activeMonth": users[1], "activeHalfyear": users[2]},
        "localPosts": posts or 0,
    }


def _metadata(state: AppState) -> dict[str, Any]:
    config = state.config
    languages = list(config.languages.supported)
    return {
        "nodeName": config.instance.name,
        "nodeDescription": config.instance.description,
        "languages": languages,
        "translation": {
            "enabled": config.features.translation,
            "languages": languages if config.features.translation else [],
        },
        # Communities are FEP-1b12 Group actors that peers can follow and post to.
        "communities": True,
        "features": config.features.model_dump(),
        "federation": {"policy": config.federation.policy},
    }


async def _nodeinfo(request: Request, version: str) -> Response:
    state: AppState = request.app.state.jamii
    async with state.sessions() as session:
        usage = await _usage(session)
    software: dict[str, str] = {"name": SOFTWARE_NAME, "version": __version__}
    if version == "2.1":
        if SOFTWARE_REPOSITORY:
            software["repository"] = SOFTWARE_REPOSITORY
        if SOFTWARE_HOMEPAGE:
            software["homepage"] = SOFTWARE_HOMEPAGE
    config = state.config
    document = {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": config.features.open_registration
        and config.registration.policy == "open",
        "usage": usage,
        "metadata": _metadata(state),
    }
    media_type = f'application/json; profile="{NODEINFO_SCHEMA}{version}#"'
    return JSONResponse(document, media_type=media_type, headers=CORS)


async def nodeinfo_20(request: Request) -> Response:
    return await _nodeinfo(request, "2.0")


async def nodeinfo_21(request: Request) -> Response:
    return await _nodeinfo(request, "2.1")


routes: list[BaseRoute] = [
    Route("/.well-known/webfinger", webfinger),
    Route("/.well-known/host-meta", host_meta),
    Route("/.well-known/host-meta.json", host_meta_json),
    Route("/.well-known/nodeinfo", nodeinfo_links),
    Route("/nodeinfo/2.0", nodeinfo_20),
    Route("/nodeinfo/2.1", nodeinfo_21),
]
