"""What Mastodon clients read about the instance before anything else.

``/api/v1/instance`` (``V1::Instance``) and ``/api/v2/instance`` (``Instance``) as Mastodon
4.3 serves them: clients read ``version`` to decide which endpoints exist (so it starts
with a Mastodon version, "4.3.0 (compatible; Jamii x.y)"), ``api_versions.mastodon``,
the limits under ``configuration``, and whether to offer translation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedi import __version__
from fedi.api.responses import JSONResponse
from fedi.api.wellknown import SOFTWARE_REPOSITORY
from fedi.config import InstanceConfig
from fedi.db.base import utcnow
from fedi.db.models import AccessToken, Account, Status, User
from fedi.db.repositories.statuses import account_view
from fedi.domain import polls
from fedi.domain.media import MAX_PIXELS
from fedi.state import AppState

MASTODON_VERSION = "4.3.0"
VERSION = f"{MASTODON_VERSION} (compatible; Jamii {__version__})"
API_VERSIONS = {"mastodon": 2}
# What uploads will accept: pictures, and the documents teachers share (lesson plans).
SUPPORTED_MIME_TYPES = [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
]
IMAGE_MATRIX_LIMIT = MAX_PIXELS  # what fedi.domain.media accepts
MAX_FEATURED_TAGS = 10
POLLS = polls.LIMITS  # the rules fedi.domain.polls applies


def translation_enabled(state: AppState) -> bool:
    """Clients offer "Translate" only when the ministry allows it and an engine is running
    (``AppState.translator``, see ``fedi.api.translate``)."""
    from fedi.api.translate import translator_of

    return translator_of(state) is not None


def registrations_open(config: InstanceConfig) -> bool:
    """Anyone may ask for an account (perhaps awaiting approval); invite and roster
    instances are closed to strangers, as is any instance with open_registration off."""
    return config.features.open_registration and config.registration.policy in ("open", "approval")


def streaming_url(config: InstanceConfig) -> str:
    return f"{'ws' if config.dev_insecure else 'wss'}://{config.domain}"


def _limits(config: InstanceConfig) -> dict[str, Any]:
    size = config.limits.media_size_mb * 1024 * 1024
    return {
        "accounts": {"max_featured_tags": MAX_FEATURED_TAGS, "max_pinned_statuses": 5},
        "statuses": {
            "max_characters": config.limits.post_length,
            "max_media_attachments": config.limits.max_attachments,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": SUPPORTED_MIME_TYPES,
            "image_size_limit": size,
            "image_matrix_limit": IMAGE_MATRIX_LIMIT,
            "video_size_limit": size,
            "video_frame_rate_limit": 60,
            "video_matrix_limit": 2_304_000,
            "description_limit": 1500,
        },
        "polls": POLLS,
    }


def _local_users() -> Any:
    return (
        select(func.count())
        .select_from(User)
        .join(Account, Account.id == User.account_id)
        .where(
            Account.suspended_at.is_(None),
            User.approved.is_(True),
            User.disabled.is_(False),
        )
    )


async def _contact(session: AsyncSession, state: AppState) -> dict[str, Any] | None:
    """The first admin, as Mastodon's "contact account" (None on an instance without one)."""
    admin_id = await session.scalar(
        select(User.account_id).where(User.role == "admin").order_by(User.id).limit(1)
    )
    view = await account_view(session, admin_id) if admin_id is not None else None
    return state.presenter.account(view).model_dump() if view is not None else None


async def instance_v1(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    config = state.config
    async with state.readers() as session:
        users = await session.scalar(_local_users())
        statuses = await session.scalar(
            select(func.count())
            .select_from(Status)
            .where(Status.local.is_(True), Status.reblog_of_id.is_(None))
        )
        domains = await session.scalar(
            select(func.count(distinct(Account.domain))).where(Account.domain.is_not(None))
        )
        contact = await _contact(session, state)
    return JSONResponse(
        {
            "uri": config.domain,
            "title": config.instance.name,
            "short_description": config.instance.description,
            "description": config.instance.description,
            "email": config.instance.contact_email,
            "version": VERSION,
            "urls": {"streaming_api": streaming_url(config)},
            "stats": {
                "user_count": users or 0,
                "status_count": statuses or 0,
                "domain_count": domains or 0,
            },
            "thumbnail": f"{config.base_url}/static/header.png",
            "languages": list(config.languages.supported),
            "registrations": registrations_open(config),
            "approval_required": config.registration.policy == "approval",
            "invites_enabled": config.registration.policy == "invite",
            "configuration": _limits(config),
            "contact_account": contact,
            "rules": [],
        }
    )


async def instance_v2(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    config = state.config
    since = utcnow() - timedelta(days=28)
    async with state.readers() as session:
        recent_token = (
            select(AccessToken.id)
            .where(AccessToken.user_id == User.id, AccessToken.last_used_at >= since)
            .exists()
        )
        active = await session.scalar(
            _local_users().where(or_(User.last_sign_in_at >= since, recent_token))
        )
        contact = await _contact(session, state)
    open_ = registrations_open(config)
    return JSONResponse(
        {
            "domain": config.domain,
            "title": config.instance.name,
            "version": VERSION,
            "source_url": SOFTWARE_REPOSITORY or f"{config.base_url}/",
            "description": config.instance.description,
            "usage": {"users": {"active_month": active or 0}},
            "thumbnail": {"url": f"{config.base_url}/static/header.png"},
            "icon": [],
            "languages": list(config.languages.supported),
            "configuration": {
                "urls": {"streaming": streaming_url(config)},
                "vapid": {"public_key": ""},
                **_limits(config),
                "translation": {"enabled": translation_enabled(state)},
            },
            "registrations": {
                "enabled": open_,
                "approval_required": config.registration.policy == "approval",
                "message": None if open_ else "Accounts are created by the ministry.",
            },
            "api_versions": API_VERSIONS,
            "contact": {"email": config.instance.contact_email, "account": contact},
            "rules": [],
        }
    )


async def peers(request: Request) -> Response:
    """Every domain we know an account from (Mastodon lists the servers it has seen)."""
    state: AppState = request.app.state.jamii
    async with state.readers() as session:
        domains = await session.scalars(
            select(Account.domain).where(Account.domain.is_not(None)).distinct()
        )
        return JSONResponse(sorted(d for d in domains if d))


async def empty_list(request: Request) -> Response:
    return JSONResponse([])


# Mastodon.py asks for "/api/v1/instance/" with the slash; answering both spares a redirect.
routes: list[BaseRoute] = [
    Route("/api/v1/instance", instance_v1),
    Route("/api/v1/instance/", instance_v1),
    Route("/api/v2/instance", instance_v2),
    Route("/api/v2/instance/", instance_v2),
    Route("/api/v1/instance/peers", peers),
    Route("/api/v1/instance/rules", empty_list),
    Route("/api/v1/instance/activity", empty_list),
    Route("/api/v1/custom_emojis", empty_list),
]
