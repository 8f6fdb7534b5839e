"""Our accounts and statuses as ActivityStreams documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fedi.db.base import utcnow
from fedi.db.models import Account, TeacherProfile
from fedi.db.repositories.views import PollView, StatusView
from fedi.domain.renditions import Rendered
from fedi.domain.site import Site
from fedi.federation.addressing import address
from fedi.federation.wire.common import AS_CONTEXT, SECURITY_CONTEXT

JAMII_NS = "urn:jamii:ns#"

# The extension terms Mastodon and its clients read, as Mastodon publishes them.
EXTENSIONS: dict[str, Any] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "toot": "http://joinmastodon.org/ns#",
    "discoverable": "toot:discoverable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "blurhash": "toot:blurhash",
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    # Jamii's own terms (docs/federation.md): which contentMap languages are machine
    # translations rather than the author's words.
    "jamii": JAMII_NS,
    "machineTranslated": {"@id": "jamii:machineTranslated", "@container": "@set"},
    "votersCount": "toot:votersCount",
}
CONTEXT: list[Any] = [AS_CONTEXT, SECURITY_CONTEXT, EXTENSIONS]


def iso(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def account_to_actor(
    account: Account, site: Site, profile: TeacherProfile | None = None
) -> dict[str, Any]:
    """A local account's actor document (Person, or Application for the instance actor)."""
    fields = [
        {"type": "PropertyValue", "name": f["name"], "value": f["value"]} for f in account.fields
    ]
    if profile is not None:
        for name, value in (
            ("School", profile.school),
            ("Subjects", ", ".join(profile.subjects)),
            ("Grades", ", ".join(profile.grade_levels)),
            ("Languages", ", ".join(profile.languages)),
        ):
            if value:
                fields.append({"type": "PropertyValue", "name": name, "value": value})
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": account.uri,
        "type": account.actor_type,
        "preferredUsername": account.username,
        "name": account.display_name or account.username,
        "summary": account.note,
        "url": account.url,
        "inbox": account.inbox_url,
        "outbox": account.outbox_url,
        "followers": account.followers_url,
        "following": account.following_url,
        "featured": account.featured_url,
        "endpoints": {"sharedInbox": site.shared_inbox_url()},
        "manuallyApprovesFollowers": account.locked,
        "discoverable": account.discoverable,
        "published": iso(account.created_at),
        # FEP-2c59: the handle a reader should use, so peers need not guess it.
        "webfinger": f"acct:{account.username}@{site.domain}",
        "publicKey": {
            "id": account.public_key_id,
            "owner": account.uri,
            "publicKeyPem": account.public_key_pem,
        },
        "attachment": fields,
        "alsoKnownAs": account.also_known_as or None,
        "icon": {"type": "Image", "url": account.avatar_url} if account.avatar_url else None,
    }
    return {k: v for k, v in document.items() if v is not None}


def status_to_note(
    view: StatusView,
    site: Site,
    followers_url: str,
    *,
    in_reply_to_uri: str | None = None,
    translations: Mapping[str, Rendered] | None = None,
) -> dict[str, Any]:
    """A local status as a Note: ``content`` is the original; ``contentMap`` leads with it,
    then our machine translations, listed in ``machineTranslated`` so no peer mistakes them
    for the author's words; summaryMap and each poll answer's nameMap likewise."""
    to, cc = address(view.visibility, followers_url, [m.uri for m in view.mentions])
    tags: list[dict[str, Any]] = [
        {"type": "Mention", "href": m.uri, "name": f"@{m.username}@{m.domain or site.domain}"}
        for m in view.mentions
    ]
    tags += [
        {"type": "Hashtag", "href": site.tag_url(t.lower()), "name": f"#{t}"} for t in view.tags
    ]
    note: dict[str, Any] = {
        "id": view.uri,
        "type": "Note",
        "attributedTo": view.account.uri,
        "content": view.content,
        "published": iso(view.created_at),
        "url": view.url,
        "to": to,
        "cc": cc,
        "sensitive": view.sensitive,
        "summary": view.spoiler_text or None,
        "tag": tags,
        "attachment": [
            {
                "type": "Document",
                "mediaType": m.mime_type,
                "url": f"{site.base_url}/media/{m.file_name}" if m.file_name else m.remote_url,
                "name": m.description or None,
                "blurhash": m.blurhash,
            }
            for m in view.media
        ],
        "inReplyTo": in_reply_to_uri,
        "updated": iso(view.edited_at) if view.edited_at else None,
    }
    if view.language:
        note["contentMap"] = {view.language: view.content}
        others = {k: v for k, v in (translations or {}).items() if k != view.language}
        if others:
            note["contentMap"].update({lang: given.content for lang, given in others.items()})
            note["machineTranslated"] = list(others)
            if view.spoiler_text:
                note["summaryMap"] = {
                    view.language: view.spoiler_text,
                    **{lang: given.summary or view.spoiler_text for lang, given in others.items()},
                }
    if view.poll is not None:
        note.update(poll_to_question(view.poll, view.language, translations or {}))
    return {k: v for k, v in note.items() if v is not None}


def poll_to_question(
    poll: PollView, language: str | None = None, translations: Mapping[str, Rendered] | None = None
) -> dict[str, Any]:
    """A poll's part of a Question, as Mastodon writes it: each answer a Note whose
    ``replies.totalItems`` counts its votes; ``closed`` once it has ended. With a language,
    each answer's ``nameMap`` holds it in the original and in each translation that has
    every answer (a peer reads it as it reads contentMap)."""
    complete = {
        lang: given.poll_options
        for lang, given in (translations or {}).items()
        if lang != language and len(given.poll_options) == len(poll.options)
    }
    options: list[dict[str, Any]] = []
    for index, (title, count) in enumerate(zip(poll.options, poll.tallies, strict=True)):
        option: dict[str, Any] = {
            "type": "Note",
            "name": title,
            "replies": {"type": "Collection", "totalItems": count},
        }
        if language and complete:
            option["nameMap"] = {
                language: title,
                **{lang: names[index] for lang, names in complete.items()},
            }
        options.append(option)
    question: dict[str, Any] = {
        "type": "Question",
        "anyOf" if poll.multiple else "oneOf": options,
        "votersCount": poll.voters_count,
    }
    if poll.expires_at is not None:
        question["endTime"] = iso(poll.expires_at)
        if poll.expired(utcnow()):
            question["closed"] = iso(poll.expires_at)
    return question


def vote_to_note(
    vote_uri: str, voter_uri: str, option: str, question_uri: str, author_uri: str
) -> dict[str, Any]:
    """A vote on a remote poll: a Note named after the answer, for the poll's author only
    (Mastodon counts such a Note instead of showing it as a reply)."""
    return {
        "id": vote_uri,
        "type": "Note",
        "name": option,
        "attributedTo": voter_uri,
        "inReplyTo": question_uri,
        "to": [author_uri],
    }


def activity(kind: str, activity_id: str, actor_uri: str, obj: Any, **extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": activity_id,
        "type": kind,
        "actor": actor_uri,
        "object": obj,
    }
    document.update({k: v for k, v in extra.items() if v is not None})
    return document
