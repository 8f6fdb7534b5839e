"""Renditions across instances: Kenya's Note carries its translations in contentMap (marked
``machineTranslated``), and Senegal keeps them and serves them without calling its engine.

Three real instances on loopback share the tiny Argos packages (one argostranslate per
process); each runs its own engine, so each counts its own model calls.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from fedi.db.models import Account, Follow, Rendition, Status
from tests.api.client_api import call, close_clients, mastodon
from tests.databases import BACKENDS, Templates
from tests.federation.remote import RemoteServer, deliver, home, settle
from tests.federation.test_languages import _variant
from tests.federation.test_peer_payloads import amina, aminas_post, peer, server
from tests.federation.trio import Peer, eventually, trio
from tests.servers import Instance
from tests.translation.fixtures import TinyPackages
from tests.translation.instances import argos_batches, translation_table
from translation import ArgosPaths

__all__ = ["amina", "aminas_post", "close_clients", "server"]
T = TypeVar("T")


@pytest.fixture(params=BACKENDS)
async def federation(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    db_templates: Templates,
    paths: ArgosPaths,
    tiny: TinyPackages,
) -> AsyncIterator[tuple[Peer, Peer, Peer]]:
    tiny.unpack(paths.packages, ("sw", "en"), ("en", "sw"))
    extra = translation_table(paths)
    async with trio(request.param, tmp_path, db_templates, extra) as peers:
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
    await sn.follow(fatou_row, await sn.account(amina_row.uri))

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

    # A poll's answers travel the same way: each answer's nameMap, reused by Senegal.
    poll = amina.make_poll(["Ndiyo", "Hapana"], expires_in=3600)
    asked = await call(amina.status_post, "Tufanye mtihani?", language="sw", poll=poll)

    async def answers() -> list[Rendition] | None:
        found = await _remote_renditions(sn, asked["uri"])
        return found if found and found[0].poll_options else None

    [kept_poll] = await eventually(answers, wake=[ke, sn], within=30)
    assert kept_poll.poll_options == ["NDIYO", "HAPANA"]
    question = (
        await ke.instance.client.get(
            f"/users/amina/statuses/{asked['id']}",
            headers={"Accept": "application/activity+json"},
        )
    ).json()
    assert [o["nameMap"] for o in question["oneOf"]] == [
        {"sw": "Ndiyo", "en": "NDIYO"},
        {"sw": "Hapana", "en": "HAPANA"},
    ]
    [there] = (await call(fatou.search_v2, asked["url"], result_type="statuses"))["statuses"]
    before = argos_batches(sn.instance)
    read = await call(fatou.status_translate, there["id"], lang="en")
    assert read["poll"] == {
        "id": there["poll"]["id"],
        "options": [{"title": "NDIYO"}, {"title": "HAPANA"}],
    }
    assert argos_batches(sn.instance) == before


@pytest.fixture
async def ke(
    database_url: str, tmp_path: Path, paths: ArgosPaths, tiny: TinyPackages
) -> AsyncIterator[Instance]:
    """Kenya with the sw↔en tiny packages, receiving from a fake Mastodon on loopback."""
    tiny.unpack(paths.packages, ("sw", "en"), ("en", "sw"))
    async with home(tmp_path, database_url, extra=translation_table(paths)) as instance:
        yield instance


SWAHILI = "Nawashirikisha zoezi la sehemu kwa kutumia vipande vya karatasi."


async def _renditions(instance: Instance, uri: str) -> list[Rendition]:
    async with instance.state.sessions() as session:
        status = await session.scalar(select(Status).where(Status.uri == uri))
        assert status is not None, "the post was not stored"
        return list(
            await session.scalars(select(Rendition).where(Rendition.status_id == status.id))
        )


async def test_a_peers_public_post_is_translated_here_unless_it_came_translated(
    ke: Instance, server: RemoteServer, amina: Account, aminas_post: Status
) -> None:
    mastodon = peer("mastodon", server, ke, aminas_post)
    signer = mastodon.publish_actor("person.json")

    async def own_post_translated() -> list[Rendition] | None:
        worker = ke.state.worker
        assert worker is not None
        worker.wake()
        return await _renditions(ke, aminas_post.uri) or None

    await eventually_of(own_post_translated)  # Amina's English post, into Kiswahili
    before = argos_batches(ke)

    # Mastodon sends the original only: Kenya translates it into English itself.
    plain = _variant(mastodon, 1, SWAHILI, ["sw"])
    assert (await deliver(ke, plain, signer=signer)).status_code == 202
    await settle(ke)

    async def translated_here() -> list[Rendition] | None:
        await settle(ke)
        return await _renditions(ke, plain["object"]["id"]) or None

    [made] = await eventually_of(translated_here)
    assert (made.language, made.engine) == ("en", "argos")
    assert made.content == f"<p>{SWAHILI.upper()}</p>"
    assert argos_batches(ke) == before + 1

    # A peer that sends its own English is believed: Kenya's engine is not asked.
    translated = _variant(mastodon, 2, SWAHILI, ["sw"])
    translated["object"]["contentMap"]["en"] = "<p>Sharing a fractions exercise.</p>"
    assert (await deliver(ke, translated, signer=signer)).status_code == 202
    await settle(ke)
    [kept] = await _renditions(ke, translated["object"]["id"])
    assert (kept.language, kept.content) == ("en", "<p>Sharing a fractions exercise.</p>")
    assert kept.engine == f"remote:{urlsplit(server.base).netloc}"
    assert argos_batches(ke) == before + 1


async def eventually_of(check: Callable[[], Awaitable[T | None]], within: float = 15.0) -> T:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("not translated in time")
        await asyncio.sleep(0.05)
