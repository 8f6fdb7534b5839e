"""Views → Mastodon entities. All conversions for the client API live here."""

from __future__ import annotations

from datetime import datetime

from fedi.api import entities
from fedi.db.repositories.views import AccountView, MediaView, MentionView, StatusView
from fedi.domain.site import Site


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Presenter:
    """Knows the site's URLs (for avatars and media) and turns views into entities."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.default_avatar = f"{site.base_url}/static/avatar.png"
        self.default_header = f"{site.base_url}/static/header.png"

    def account(self, view: AccountView) -> entities.Account:
        avatar = view.avatar_url or self.default_avatar
        header = view.header_url or self.default_header
        return entities.Account(
            id=str(view.id),
            username=view.username,
            acct=view.acct,
            display_name=view.display_name,
            locked=view.locked,
            bot=view.bot,
            group=view.actor_type == "Group",
            created_at=iso(view.created_at),
            note=view.note,
            url=view.url or view.uri,
            uri=view.uri,
            avatar=avatar,
            avatar_static=avatar,
            header=header,
            header_static=header,
            followers_count=view.followers_count,
            following_count=view.following_count,
            statuses_count=view.statuses_count,
            # Mastodon gives only the day, so followers cannot tell when someone was online.
            last_status_at=view.last_status_at.date().isoformat() if view.last_status_at else None,
            fields=[entities.Field(name=f["name"], value=f["value"]) for f in view.fields],
        )

    def media(self, view: MediaView) -> entities.MediaAttachment:
        url = (
            f"{self.site.base_url}/media/{view.file_name}"
            if view.file_name
            else view.remote_url or ""
        )
        kind = view.type if view.type in ("image", "gifv", "video", "audio") else "unknown"
        return entities.MediaAttachment(
            id=str(view.id),
            type=kind,
            url=url,
            preview_url=url if kind == "image" else None,
            remote_url=view.remote_url,
            meta=view.meta,
            description=view.description or None,
            blurhash=view.blurhash,
        )

    def mention(self, view: MentionView) -> entities.Mention:
        return entities.Mention(
            id=str(view.account_id),
            username=view.username,
            url=view.url or view.uri,
            acct=view.acct,
        )

    def status(self, view: StatusView, *, with_source: bool = False) -> entities.Status:
        return entities.Status(
            id=str(view.id),
            uri=view.uri,
            url=view.url,
            created_at=iso(view.created_at),
            edited_at=iso(view.edited_at) if view.edited_at else None,
            account=self.account(view.account),
            content=view.content,
            visibility=view.visibility,
            sensitive=view.sensitive,
            spoiler_text=view.spoiler_text,
            media_attachments=[self.media(m) for m in view.media],
            mentions=[self.mention(m) for m in view.mentions],
            tags=[
                entities.Tag(name=t.lower(), url=self.site.tag_url(t.lower())) for t in view.tags
            ],
            reblogs_count=view.reblogs_count,
            favourites_count=view.favourites_count,
            replies_count=view.replies_count,
            in_reply_to_id=str(view.in_reply_to_id) if view.in_reply_to_id else None,
            in_reply_to_account_id=(
                str(view.in_reply_to_account_id) if view.in_reply_to_account_id else None
            ),
            reblog=self.status(view.reblog) if view.reblog else None,
            language=view.language,
            text=view.text if with_source else None,
            favourited=view.favourited,
            reblogged=view.reblogged,
            bookmarked=view.bookmarked,
        )
