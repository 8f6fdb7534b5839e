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

from fedi.db.models import Rendition, Status
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


async def test_content_map_carries_renditions_that_the_receiver_reuses(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, _ = federation
    amina = await mastodon(ke.instance, "amina")
    post = await call(amina.status_post, "Karibu darasani leo.", language="sw")

    async def rendered() -> list[Rendition]:
        async with ke.session() as session:
            rows = await session.scalars(
                select(Rendition).where(Rendition.status_id == int(post["id"]))
            )
            return list(rows)

    await eventually(rendered, wake=[ke])

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

    # Senegal's teacher finds the post by its URL: Senegal fetches the Note and keeps the
    # English rendition as Kenya's.
    fatou = await mastodon(sn.instance, "fatou")
    before = argos_batches(sn.instance)
    found = await call(fatou.search_v2, post["url"], resolve=True, result_type="statuses")
    [remote] = found["statuses"]
    assert remote["language"] == "sw"
    async with sn.session() as session:
        status = await session.scalar(select(Status).where(Status.uri == post["uri"]))
        assert status is not None
        kept = list(
            await session.scalars(select(Rendition).where(Rendition.status_id == status.id))
        )
    assert [(r.language, r.engine) for r in kept] == [("en", f"remote:{ke.site.domain}")]

    translated = await call(fatou.status_translate, remote["id"], lang="en")
    assert translated["content"] == "<p>KARIBU DARASANI LEO.</p>"
    assert translated["provider"] == f"{ke.site.domain} (machine translation)"
    assert argos_batches(sn.instance) == before  # Senegal's engine was not asked
