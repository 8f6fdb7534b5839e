"""Remote Notes as posts our domain layer stores (``note_to_incoming``), and fetching them."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import Account, Status
from fedi.domain.polls import RemotePoll
from fedi.domain.received import IncomingMedia, IncomingPost, is_tombstoned, receive_post
from fedi.domain.renditions import Rendered
from fedi.errors import Forbidden
from fedi.federation.actors import host_of, resolve_account
from fedi.federation.addressing import visibility_of
from fedi.federation.context import Federation
from fedi.federation.fetcher import BudgetExhausted, FetchBudget, FetchError
from fedi.federation.wire import Note

NOTE_TYPES = frozenset({"Note", "Article", "Page", "Question"})
MAX_MENTIONS = 50
MAX_TAGS = 50
MAX_ATTACHMENTS = 8


def parse_note(document: object) -> Note | None:
    if not isinstance(document, dict) or document.get("type") not in NOTE_TYPES:
        return None
    try:
        return Note.model_validate(document)
    except ValidationError:
        return None


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def content_of(note: Note) -> tuple[str, str | None]:
    """The original text and its language: ``content`` is the original; contentMap names it."""
    if note.content is not None:
        for language, text in note.content_map.items():
            if text == note.content:
                return note.content, language[:8].lower()
        first = next(iter(note.content_map), None)
        return note.content, first[:8].lower() if first else None
    for language, text in note.content_map.items():
        return text, language[:8].lower()
    return "", None


async def _accounts_named(session: AsyncSession, uris: list[str]) -> list[Account]:
    if not uris:
        return []
    found = await session.scalars(select(Account).where(Account.uri.in_(uris)))
    return list(found)


async def note_to_incoming(
    federation: Federation,
    session: AsyncSession,
    note: Note,
    author: Account,
    budget: FetchBudget,
) -> IncomingPost:
    html, language = content_of(note)
    mention_uris = [t.href for t in note.tag if t.type == "Mention" and t.href][:MAX_MENTIONS]
    # People addressed directly are mentioned even without a Mention tag (a DM to them).
    addressed = [a for a in (*note.to, *note.cc) if a.startswith(federation.site.base_url + "/")]
    mentioned = await _accounts_named(session, list(dict.fromkeys(mention_uris + addressed)))
    mentioned = [m for m in mentioned if m.actor_type != "Application"]
    tags = [t.name.lstrip("#")[:256] for t in note.tag if t.type == "Hashtag" and t.name][:MAX_TAGS]
    media = [
        IncomingMedia(
            url=a.url,
            mime_type=(a.media_type or "application/octet-stream")[:127],
            description=(a.name or "")[:1500],
            blurhash=a.blurhash,
            meta={"original": {"width": a.width, "height": a.height}} if a.width else {},
        )
        for a in note.attachment[:MAX_ATTACHMENTS]
        if a.url and a.url.startswith(("https://", "http://"))
    ]
    parent = await ensure_note(federation, session, note.in_reply_to, budget)
    return IncomingPost(
        uri=note.id,
        url=note.url if note.url and note.url.startswith(("https://", "http://")) else None,
        html=html,
        visibility=visibility_of(note.to, note.cc, author.followers_url),
        spoiler_text=(note.summary or "")[:1000],
        sensitive=bool(note.sensitive),
        language=language,
        in_reply_to=parent,
        mentioned=mentioned,
        tags=tags,
        published=parse_time(note.published),
        media=media,
        renditions=_translations(note, html, language),
        poll=question_to_poll(note),
    )


MAX_POLL_OPTIONS = 20  # more than any server allows; a longer list is not a poll we show


def question_to_poll(note: Note) -> RemotePoll | None:
    """A Question's poll: ``anyOf`` makes it multiple-choice; it ends at ``endTime``, or
    at ``closed`` if it was closed early (or at once, for a bare ``closed: true``)."""
    if note.type != "Question":
        return None
    options = note.any_of or note.one_of
    if not 0 < len(options) <= MAX_POLL_OPTIONS:
        return None
    ends = parse_time(note.end_time)
    if note.closed is not None:
        ends = parse_time(note.closed) or min(ends or utcnow(), utcnow())
    return RemotePoll(
        options=tuple(option.name[:500] for option in options),
        tallies=tuple(option.votes for option in options),
        multiple=bool(note.any_of),
        expires_at=ends,
        voters_count=note.voters_count
        if note.voters_count is None or note.voters_count >= 0
        else None,
    )


def _translations(note: Note, original: str, language: str | None) -> dict[str, Rendered]:
    """contentMap's other languages: the origin's translations (kept as renditions), with
    the poll's answers in that language when every answer's nameMap has it."""
    if language is None:
        return {}
    answers = note.any_of or note.one_of
    found: dict[str, Rendered] = {}
    for code, text in note.content_map.items():
        if code[:8].lower() == language or text == original:
            continue
        options = [answer.name_map.get(code) for answer in answers]
        found[code[:8].lower()] = Rendered(
            text,
            note.summary_map.get(code) or "",
            tuple(o for o in options if o is not None) if None not in options else (),
        )
    return found


async def ensure_note(
    federation: Federation, session: AsyncSession, uri: str | None, budget: FetchBudget
) -> Status | None:
    """The status for ``uri``: known already, or fetched from its origin within ``budget``.

    A reply chain is followed up only as far as the budget allows; what lies beyond is
    simply not linked (the reply still shows, as a reply to an unknown post).
    """
    if uri is None:
        return None
    known: Status | None = await session.scalar(select(Status).where(Status.uri == uri))
    if known is not None or await is_tombstoned(session, uri):
        return known
    if not federation.policy.allows(host_of(uri)):
        return None
    try:
        ident, document = await federation.fetch(uri, budget)
    except (BudgetExhausted, FetchError):
        return None
    return await store_fetched_note(federation, session, ident, document, budget)


async def store_fetched_note(
    federation: Federation,
    session: AsyncSession,
    ident: str,
    document: dict[str, object],
    budget: FetchBudget,
) -> Status | None:
    """The post for a note fetched from its origin (``ident``, as the fetcher vouched for
    it), stored like a delivered one; None when it is not a note of an author on its own
    server, or its server (after redirects) is blocked."""
    note = parse_note(document)
    if note is None or note.id != ident or host_of(note.attributed_to) != host_of(note.id):
        return None
    if not federation.policy.allows(host_of(ident)):
        return None
    try:
        author = await resolve_account(federation, session, note.attributed_to, budget=budget)
    except (BudgetExhausted, FetchError, Forbidden):
        return None
    post = await note_to_incoming(federation, session, note, author, budget)
    return await receive_post(
        session,
        author,
        post,
        detect_in=federation.site.detection_languages,
        site=federation.site,
    )
