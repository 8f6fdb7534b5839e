"""Views → Mastodon entities. All conversions for the client API live here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fedi.api import entities
from fedi.db.base import utcnow
from fedi.db.models import AccountList, Marker, Notification, Status, Tag, TeacherProfile, User
from fedi.db.repositories.accounts import account_views
from fedi.db.repositories.statuses import load_views
from fedi.db.repositories.views import (
    AccountView,
    MediaView,
    MentionView,
    PollView,
    StatusView,
)
from fedi.domain.credentials import teacher_fields
from fedi.domain.html import escape_text, html_to_text
from fedi.domain.relationships import Relationship
from fedi.domain.revisions import Revision
from fedi.domain.site import Site


def iso(moment: datetime) -> str:
    """Mastodon's timestamps: UTC, milliseconds, ``Z``. Every moment here is UTC-aware
    (``UTCDateTime``); isoformat is C code, 3× faster than strftime (a timeline's twenty
    statuses and their authors format ~60 of these per request)."""
    return f"{moment.isoformat(timespec='milliseconds')[:23]}Z"


class Presenter:
    """Knows the site's URLs (for avatars and media) and turns views into entities."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.default_avatar = f"{site.base_url}/static/avatar.png"
        self.default_header = f"{site.base_url}/static/header.png"

    def account(self, view: AccountView, profile: TeacherProfile | None = None) -> entities.Account:
        """``profile`` (a local teacher's) adds school, subjects… as fields, as the actor does."""
        return entities.Account.model_validate(self.account_json(view, profile))

    def account_json(
        self, view: AccountView, profile: TeacherProfile | None = None
    ) -> dict[str, Any]:
        """The Account entity as plain JSON values, every key ``entities.Account`` has."""
        avatar = view.avatar_url or self.default_avatar
        header = view.header_url or self.default_header
        fields = [
            {"name": f["name"], "value": f["value"], "verified_at": None} for f in view.fields
        ]
        if profile is not None:
            fields += [
                {"name": f["name"], "value": escape_text(f["value"]), "verified_at": None}
                for f in teacher_fields(profile)
            ]
        return {
            "id": str(view.id),
            "username": view.username,
            "acct": view.acct,
            "display_name": view.display_name,
            "locked": view.locked,
            "bot": view.bot,
            "discoverable": True,
            "group": view.actor_type == "Group",
            "created_at": iso(view.created_at),
            "note": view.note,
            "url": view.url or view.uri,
            "uri": view.uri,
            "avatar": avatar,
            "avatar_static": avatar,
            "header": header,
            "header_static": header,
            "followers_count": view.followers_count,
            "following_count": view.following_count,
            "statuses_count": view.statuses_count,
            # Mastodon gives only the day, so followers cannot tell when someone was online.
            "last_status_at": (
                view.last_status_at.date().isoformat() if view.last_status_at else None
            ),
            "emojis": [],
            "fields": fields,
        }

    def media(self, view: MediaView) -> entities.MediaAttachment:
        return entities.MediaAttachment.model_validate(self.media_json(view))

    def media_json(self, view: MediaView) -> dict[str, Any]:
        url = (
            f"{self.site.base_url}/media/{view.file_name}"
            if view.file_name
            else view.remote_url or ""
        )
        kind = view.type if view.type in ("image", "gifv", "video", "audio") else "unknown"
        preview = url
        if kind == "image" and view.file_name and "." in view.file_name:
            # Uploads keep a small rendition beside the original (fedi.domain.media).
            stem, extension = view.file_name.rsplit(".", 1)
            preview = f"{self.site.base_url}/media/{stem}-small.{extension}"
        return {
            "id": str(view.id),
            "type": kind,
            "url": url,
            "preview_url": preview if kind == "image" else None,
            "remote_url": view.remote_url,
            "meta": view.meta,
            "description": view.description or None,
            "blurhash": view.blurhash,
        }

    def mention(self, view: MentionView) -> entities.Mention:
        return entities.Mention.model_validate(self.mention_json(view))

    def mention_json(self, view: MentionView) -> dict[str, Any]:
        return {
            "id": str(view.account_id),
            "username": view.username,
            "url": view.url or view.uri,
            "acct": view.acct,
        }

    def poll(self, view: PollView) -> entities.Poll:
        """Mastodon hides a hide_totals poll's counts until it ends, except from its author."""
        expired = view.expired(utcnow())
        own = view.viewer_is_author
        hidden = view.hide_totals and not expired and not own
        return entities.Poll(
            id=str(view.id),
            expires_at=iso(view.expires_at) if view.expires_at else None,
            expired=expired,
            multiple=view.multiple,
            votes_count=view.votes_count,
            voters_count=view.voters_count,
            options=[
                entities.PollOption(title=title, votes_count=None if hidden else count)
                for title, count in zip(view.options, view.tallies, strict=True)
            ],
            # One's own poll counts as voted: clients then show results, not a ballot.
            voted=own or bool(view.own_votes),
            own_votes=list(view.own_votes),
        )

    def status(self, view: StatusView, *, with_source: bool = False) -> entities.Status:
        return entities.Status.model_validate(self.status_json(view, with_source=with_source))

    def statuses(self, views: Iterable[StatusView]) -> list[dict[str, Any]]:
        """A page of statuses for a timeline, ready for orjson (no models on this hot path:
        building pydantic entities measured as most of a page's rendering)."""
        return [self.status_json(view) for view in views]

    def status_json(self, view: StatusView, *, with_source: bool = False) -> dict[str, Any]:
        """The Status entity as plain JSON values, every key ``entities.Status`` has, in
        its order (tests/api/test_presenters.py holds the two together)."""
        tag_url = self.site.tag_url
        return {
            "id": str(view.id),
            "uri": view.uri,
            "url": view.url,
            "created_at": iso(view.created_at),
            "edited_at": iso(view.edited_at) if view.edited_at else None,
            "account": self.account_json(view.account),
            "content": view.content,
            "visibility": view.visibility,
            "sensitive": view.sensitive,
            "spoiler_text": view.spoiler_text,
            "media_attachments": [self.media_json(m) for m in view.media],
            "application": None,
            "mentions": [self.mention_json(m) for m in view.mentions],
            "tags": [{"name": t.lower(), "url": tag_url(t.lower())} for t in view.tags],
            "emojis": [],
            "reblogs_count": view.reblogs_count,
            "favourites_count": view.favourites_count,
            "replies_count": view.replies_count,
            "in_reply_to_id": str(view.in_reply_to_id) if view.in_reply_to_id else None,
            "in_reply_to_account_id": (
                str(view.in_reply_to_account_id) if view.in_reply_to_account_id else None
            ),
            "reblog": self.status_json(view.reblog) if view.reblog else None,
            # Polls are rare on a page: their model is built only where there is one.
            "poll": self.poll(view.poll).model_dump() if view.poll else None,
            "card": None,
            "language": view.language,
            "text": view.text if with_source else None,
            "favourited": view.favourited,
            "reblogged": view.reblogged,
            "muted": False,
            "bookmarked": view.bookmarked,
            "pinned": view.pinned,
            "filtered": [],
        }

    def hashtag(self, tag: Tag) -> entities.Hashtag:
        return entities.Hashtag(
            id=str(tag.id), name=tag.name, url=self.site.tag_url(tag.name_lower)
        )

    def credential_account(
        self,
        view: AccountView,
        user: User,
        profile: TeacherProfile | None,
        follow_requests_count: int,
    ) -> entities.CredentialAccount:
        """The teacher's own account, with what they wrote as they wrote it (``source``)."""
        source = entities.Source(
            privacy=user.default_visibility,
            sensitive=user.default_sensitive,
            language=user.default_language,
            note=html_to_text(view.note),
            fields=[
                entities.Field(name=f["name"], value=html_to_text(f["value"])) for f in view.fields
            ]
            + [entities.Field(name=f["name"], value=f["value"]) for f in teacher_fields(profile)],
            follow_requests_count=follow_requests_count,
            reading_languages=list(user.reading_languages or []),
        )
        account = self.account(view, profile)
        return entities.CredentialAccount(**account.__dict__, source=source)

    def relationship(self, found: Relationship) -> entities.Relationship:
        return entities.Relationship(
            id=str(found.account_id),
            following=found.following,
            showing_reblogs=found.showing_reblogs,
            notifying=found.notifying,
            followed_by=found.followed_by,
            blocking=found.blocking,
            blocked_by=found.blocked_by,
            requested=found.requested,
            requested_by=found.requested_by,
            muting=found.muting,
            muting_notifications=found.muting_notifications,
        )

    def status_edit(self, revision: Revision) -> entities.StatusEdit:
        return entities.StatusEdit(
            content=revision.content,
            spoiler_text=revision.spoiler_text,
            sensitive=revision.sensitive,
            created_at=iso(revision.created_at),
            account=self.account(revision.account),
            media_attachments=[self.media(m) for m in revision.media],
            poll=(
                {"options": [{"title": title} for title in revision.poll_options]}
                if revision.poll_options is not None
                else None
            ),
        )

    def status_source(self, status: Status) -> entities.StatusSource:
        return entities.StatusSource(
            id=str(status.id), text=status.text, spoiler_text=status.spoiler_text
        )

    def notification(
        self, notification: Notification, sender: AccountView, status: StatusView | None
    ) -> entities.Notification:
        return entities.Notification(
            id=str(notification.id),
            type=notification.type,
            group_key=f"ungrouped-{notification.id}",
            created_at=iso(notification.created_at),
            account=self.account(sender),
            status=self.status(status) if status is not None else None,
        )

    def preferences(self, user: User) -> entities.Preferences:
        return entities.Preferences(
            posting_default_visibility=user.default_visibility,
            posting_default_sensitive=user.default_sensitive,
            posting_default_language=user.default_language,
            reading_translate_languages=list(user.reading_languages or []),
        )

    def list(self, found: AccountList) -> entities.List:
        return entities.List(
            id=str(found.id),
            title=found.title,
            replies_policy=found.replies_policy,
            exclusive=found.exclusive,
        )

    def marker(self, found: Marker) -> entities.Marker:
        return entities.Marker(
            last_read_id=str(found.last_read_id),
            version=found.version,
            updated_at=iso(found.updated_at),
        )


async def present_notifications(
    presenter: Presenter, session: AsyncSession, viewer_id: int, found: Sequence[Notification]
) -> list[entities.Notification]:
    """Notifications as Mastodon entities, their posts rendered for ``viewer_id`` (also what
    the streaming API sends)."""
    senders = {v.id: v for v in await account_views(session, [n.from_account_id for n in found])}
    status_ids = [n.status_id for n in found if n.status_id is not None]
    statuses = {v.id: v for v in await load_views(session, status_ids, viewer_id)}
    return [
        presenter.notification(
            n, senders[n.from_account_id], statuses.get(n.status_id) if n.status_id else None
        )
        for n in found
        if n.from_account_id in senders
    ]
