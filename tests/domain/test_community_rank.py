"""Rank among a community's moderators (Lemmy's): earlier-appointed moderators outrank
later ones, an instance admin outranks them all, and a community keeps one moderator."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import ModlogEntry
from fedi.domain import communities, community_moderation, community_threads
from fedi.domain.communities import Settings
from fedi.domain.community_rank import Acting
from fedi.errors import Forbidden, ValidationFailed
from tests.factories import KE, say, teacher


async def test_earlier_moderators_outrank_later_ones(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    baraka = await teacher(session, "baraka")
    neema = await teacher(session, "neema")
    zawadi = await teacher(session, "zawadi")
    group = (await communities.create(session, KE, Settings(name="maths"), creator=amina)).account
    await community_moderation.add_moderator(session, group, baraka, by=amina)
    await community_moderation.add_moderator(session, group, neema, by=baraka)
    logged = await session.scalar(select(func.count()).select_from(ModlogEntry))

    # Baraka (second) may not demote or ban Amina (first), nor remove her posts.
    with pytest.raises(Forbidden):
        await community_moderation.remove_moderator(session, group, amina, by=baraka)
    with pytest.raises(Forbidden):
        await community_moderation.ban(session, group, amina, "coup", by=baraka)
    await communities.join(session, zawadi, group)
    post = await say(session, amina, "@maths Welcome!", visibility="public")
    with pytest.raises(Forbidden):
        await community_threads.remove(session, group, post, acting=Acting(by=baraka))
    # A member is no moderator at all.
    with pytest.raises(Forbidden):
        await community_threads.lock(session, group, post, True, acting=Acting(by=zawadi))
    assert await session.scalar(select(func.count()).select_from(ModlogEntry)) == logged
    assert await communities.role_of(session, group.id, amina.id) == "moderator"

    # Baraka outranks Neema; Amina outranks both and may ban a moderator.
    await community_moderation.remove_moderator(session, group, neema, by=baraka)
    await community_moderation.add_moderator(session, group, neema, by=amina)
    await community_moderation.ban(session, group, baraka, "inactive", by=amina)
    assert await communities.role_of(session, group.id, baraka.id) == "banned"

    # An admin of the instance outranks the first moderator.
    await community_moderation.remove_moderator(
        session, group, amina, acting=Acting(by=zawadi, staff_role="admin")
    )
    assert [m.id for m in await communities.moderators(session, group.id)] == [neema.id]
    with pytest.raises(ValidationFailed):
        await community_moderation.remove_moderator(session, group, neema, by=neema)
    actions = list(await session.scalars(select(ModlogEntry.action).order_by(ModlogEntry.id)))
    assert actions == [
        "add_moderator",
        "add_moderator",
        "remove_moderator",
        "add_moderator",
        "ban",
        "remove_moderator",
    ]
