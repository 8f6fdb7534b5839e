"""Renditions across instances: Kenya's Note carries its translations in contentMap (marked
``machineTranslated``), and Senegal keeps them and serves them without calling its engine.

Three real instances on loopback share the tiny Argos packages (one argostranslate per
process); each runs its own engine, so each counts its own model calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from fedi.db.models import Account, Follow, Rendition, Status
from fedi.domain import follows
from tests.api.client_api import call, close_clients, mastodon
from tests.databases import BACKENDS, Templates, postgres_url, require_postgres
from tests.federation.trio import Peer, eventually, trio
from tests.translation.conftest import TinyPackages
from tests.translation.instances import argos_batches, translation_table
from translation import ArgosPaths

__all__ = ["close_clients"]


@pytest.fixture(params=BACKENDS)
async def federation(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    db_templates: Templates,
    paths: ArgosPaths,
    tiny: TinyPackages,
) -> AsyncIterator[tuple[Peer, Peer, Peer]]:
    if request.param == "postgresql":
        require_postgres()
    tiny.unpack(paths.packages, ("sw", "en"), ("en", "sw"))
    extra = translation_table(paths)
    async with trio(request.param, tmp_path, db_templates, postgres_url(), extra) as peers:
        yield peers


async def _remote_renditions(peer: Peer, uri: str) -> list[Rendition] | None:
    async with peer.session() as session:
        status = await session.scalar(select(Status).where(Status.uri == uri))
        if status is None:
            return None
        rows = await session.scalars(select(Rendition).where(Rendition.status_id == status.id))
        return list(rows)


async def test_content_map_carries_renditions_that_the_receiver_reuses(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, _ = federation
    amina_row = await ke.teacher("amina")
    fatou_row = await sn.teacher("fatou")
    target = await sn.account(amina_row.uri)
    async with sn.session() as session, session.begin():
        me = await session.get(Account, fatou_row.id)
        them = await session.get(Account, target.id)
        assert me is not None
        assert them is not None
        await follows.follow(session, me, them)

    async def following() -> bool:
        async with ke.session() as session:
            found = await session.scalar(
                select(Follow).where(Follow.target_account_id == amina_row.id)
            )
            return found is not None

    await eventually(following, wake=[ke, sn])

    # Amina posts in Kiswahili; Kenya translates it into English before delivering it
    # (federation waits up to [translation] federation_wait for the translate job).
    amina = await mastodon(ke.instance, "amina")
    post = await call(amina.status_post, "Karibu darasani leo.", language="sw")

    async def delivered() -> list[Rendition] | None:
        return await _remote_renditions(sn, post["uri"])

    before = argos_batches(sn.instance)
    kept = await eventually(delivered, wake=[ke, sn], within=30)
    # The Create carried the translation: Senegal stored it as Kenya's, on arrival.
    assert [(r.language, r.engine) for r in kept] == [("en", f"remote:{ke.site.domain}")]
    assert kept[0].content == "<p>KARIBU DARASANI LEO.</p>"

    fatou = await mastodon(sn.instance, "fatou")
    [remote] = (await call(fatou.search_v2, post["url"], result_type="statuses"))["statuses"]
    assert remote["language"] == "sw"
    translated = await call(fatou.status_translate, remote["id"], lang="en")
    assert translated["content"] == "<p>KARIBU DARASANI LEO.</p>"
    assert translated["provider"] == f"{ke.site.domain} (machine translation)"
    assert argos_batches(sn.instance) == before  # Senegal's engine was not asked

    # The Note, as any peer fetches it: original first, then our rendition, marked as such.
    note = (
        await ke.instance.client.get(
            f"/users/amina/statuses/{post['id']}",
            headers={"Accept": "application/activity+json"},
        )
    ).json()
    assert note["content"] == "<p>Karibu darasani leo.</p>"
    assert list(note["contentMap"]) == ["sw", "en"]
    assert note["contentMap"]["en"] == "<p>KARIBU DARASANI LEO.</p>"
    assert note["machineTranslated"] == ["en"]
