"""Activities about people: Follow, Accept, Reject, Block, Update(Person), Move, Flag."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.base import utcnow
from fedi.db.models import (
    Account,
    Block,
    FollowRequest,
    Report,
    Status,
    TeacherProfile,
)
from fedi.federation.context import Federation
from fedi.federation.convert.outgoing import account_to_actor, activity
from fedi.federation.delivery.recipients import account_inboxes, follower_inboxes
from fedi.federation.delivery.types import Built
from fedi.federation.wire.common import PUBLIC


async def follow_requested(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    request = await s.get(FollowRequest, p["request_id"])
    if request is None or request.uri is None:
        return None
    target = await s.get(Account, request.target_account_id)
    assert target is not None
    return activity("Follow", request.uri, actor.uri, target.uri), await account_inboxes(
        s, [target.id]
    )


async def _undo(
    kind: str, uri: str | None, s: AsyncSession, actor: Account, target_id: int
) -> Built:
    """Undo of the actor's own ``kind`` (Follow, Block) of ``target``, sent to the target."""
    target = await s.get(Account, target_id)
    if target is None or not uri:
        return None
    undone = {"id": uri, "type": kind, "actor": actor.uri, "object": target.uri}
    doc = activity("Undo", f"{uri}/undo", actor.uri, undone)
    return doc, await account_inboxes(s, [target.id])


async def follow_undone(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    return await _undo("Follow", p.get("follow_uri"), s, actor, p["target_id"])


async def _answer(kind: str, s: AsyncSession, actor: Account, p: Mapping[str, Any]) -> Built:
    follower = await s.get(Account, p["follower_id"])
    if follower is None or not p.get("follow_uri"):
        return None
    follow = {"id": p["follow_uri"], "type": "Follow", "actor": follower.uri, "object": actor.uri}
    answer_id = f"{actor.uri}#{kind.lower()}s/follows/{follower.id}/{int(utcnow().timestamp())}"
    return activity(kind, answer_id, actor.uri, follow), await account_inboxes(s, [follower.id])


async def follow_accepted(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    return await _answer("Accept", s, actor, p)


async def follow_rejected(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    return await _answer("Reject", s, actor, p)


async def block_created(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    block = await s.get(Block, p["block_id"])
    if block is None or block.uri is None:
        return None
    target = await s.get(Account, block.target_account_id)
    assert target is not None
    return activity("Block", block.uri, actor.uri, target.uri), await account_inboxes(
        s, [target.id]
    )


async def block_deleted(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    return await _undo("Block", p.get("block_uri"), s, actor, p["target_id"])


async def account_updated(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    profile = await s.get(TeacherProfile, actor.id)
    document = account_to_actor(actor, fed.site, profile)
    document.pop("@context")
    stamp = int(utcnow().timestamp())
    doc = activity("Update", f"{actor.uri}#updates/{stamp}", actor.uri, document, to=[PUBLIC])
    return doc, await follower_inboxes(s, actor.id)


async def account_moved(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    target = await s.get(Account, p["target_id"])
    if target is None:
        return None
    stamp = int(utcnow().timestamp())
    doc = activity("Move", f"{actor.uri}#moves/{stamp}", actor.uri, actor.uri, target=target.uri)
    return doc, await follower_inboxes(s, actor.id)


async def report_forwarded(
    fed: Federation, s: AsyncSession, actor: Account, p: Mapping[str, Any]
) -> Built:
    report = await s.get(Report, p["report_id"])
    if report is None:
        return None
    target = await s.get(Account, report.target_account_id)
    assert target is not None
    status_uris = list(
        await s.scalars(select(Status.uri).where(Status.id.in_(report.status_ids or [])))
    )
    reporter = await fed.instance_actor()
    flag_id = f"{reporter.uri}#reports/{report.id}"
    doc = activity(
        "Flag", flag_id, reporter.uri, [target.uri, *status_uris], content=report.comment or None
    )
    return doc, await account_inboxes(s, [target.id])
