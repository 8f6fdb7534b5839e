"""Mastodon clients read the instance first: Mastodon.py finds a 4.3 server with API
version 2, the limits a ministry set, and who to contact."""

from __future__ import annotations

import asyncio
from pathlib import Path

from mastodon import Mastodon

from fedi import __version__
from fedi.domain.accounts import Registration, register
from fedi.domain.site import Site
from tests.api.oauth_flow import ke
from tests.api.scopes import token_for
from tests.conftest import Database
from tests.factories import remote_teacher, say, teacher
from tests.servers import Instance, free_port, serve, write_instance

__all__ = ["ke"]


async def _seed(instance: Instance) -> None:
    site = Site.from_config(instance.config)
    async with instance.state.sessions() as session, session.begin():
        amina = await teacher(session, "amina", site=site)
        await say(session, amina, "Fractions with paper strips", site=site)
        await register(
            session,
            site,
            Registration(
                username="wanjiru", email="admin@ke.example", password="x" * 12, role="admin"
            ),
        )
        await remote_teacher(session, "fatou", "sn.example")
        await remote_teacher(session, "joao", "mz.example")


async def test_mastodon_py_reads_the_v1_instance(ke: Instance) -> None:
    await _seed(ke)
    api = Mastodon(api_base_url=ke.url)
    v1 = await asyncio.to_thread(api.instance_v1)
    assert v1["uri"] == ke.config.domain
    assert v1["title"] == "Test ke"
    assert v1["version"] == f"4.3.0 (compatible; Jamii {__version__})"
    assert v1["urls"]["streaming_api"] == f"ws://{ke.config.domain}"
    assert v1["stats"] == {"user_count": 2, "status_count": 1, "domain_count": 2}
    assert v1["languages"] == ["en", "sw"]
    assert v1["registrations"] is True
    assert v1["approval_required"] is True
    assert v1["invites_enabled"] is False
    statuses = v1["configuration"]["statuses"]
    assert statuses == {
        "max_characters": 5000,
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }
    assert "image/jpeg" in v1["configuration"]["media_attachments"]["supported_mime_types"]
    assert v1["configuration"]["polls"]["max_options"] == 4
    assert v1["configuration"]["accounts"]["max_featured_tags"] > 0
    assert v1["contact_account"]["username"] == "wanjiru"
    assert isinstance(v1["thumbnail"], str)


async def test_mastodon_py_reads_the_v2_instance_and_its_api_version(ke: Instance) -> None:
    await _seed(ke)
    # The constructor asks the server for its version (a blocking call: off the loop).
    api = await asyncio.to_thread(Mastodon, api_base_url=ke.url, version_check_mode="created")
    assert (api.mastodon_major, api.mastodon_minor, api.mastodon_patch) == (4, 3, 0)
    assert api.mastodon_api_version == 2
    assert await asyncio.to_thread(api.verify_minimum_version, "4.0.0")
    v2 = await asyncio.to_thread(api.instance)
    assert v2["domain"] == ke.config.domain
    assert v2["version"].startswith("4.3.0 (compatible; Jamii ")
    assert v2["api_versions"] == {"mastodon": 2}
    assert v2["usage"]["users"]["active_month"] == 0
    assert v2["thumbnail"]["url"].startswith(ke.url)
    config = v2["configuration"]
    assert config["urls"]["streaming"] == f"ws://{ke.config.domain}"
    assert config["translation"] == {"enabled": False}
    assert config["vapid"] == {"public_key": ""}
    assert config["statuses"]["max_characters"] == 5000
    assert v2["registrations"]["enabled"] is True
    assert v2["registrations"]["approval_required"] is True
    assert v2["contact"]["account"]["acct"] == "wanjiru"
    assert v2["rules"] == []
    assert v2["source_url"]


async def test_peers_rules_activity_and_emojis(ke: Instance) -> None:
    await _seed(ke)
    assert (await ke.client.get("/api/v1/instance/peers")).json() == ["mz.example", "sn.example"]
    for path in ("/api/v1/instance/rules", "/api/v1/instance/activity", "/api/v1/custom_emojis"):
        assert (await ke.client.get(path)).json() == []


async def test_a_ministry_instance_reports_its_own_limits_and_closed_sign_up(
    database: Database, tmp_path: Path
) -> None:
    config = write_instance(
        tmp_path,
        code="tz",
        port=free_port(),
        database_url=database.url,
        extra="[limits]\npost_length = 1200\nmax_attachments = 2\n"
        '[registration]\npolicy = "roster"\n'
        "[features]\ntranslation = false\n",
    )
    async with serve(config) as tz:
        v1 = (await tz.client.get("/api/v1/instance")).json()
        v2 = (await tz.client.get("/api/v2/instance")).json()
    assert v1["configuration"]["statuses"]["max_characters"] == 1200
    assert v1["configuration"]["statuses"]["max_media_attachments"] == 2
    assert v1["registrations"] is False
    assert v1["contact_account"] is None
    assert v1["stats"] == {"user_count": 0, "status_count": 0, "domain_count": 0}
    assert v2["registrations"]["enabled"] is False
    assert v2["registrations"]["message"]
    assert v2["configuration"]["translation"]["enabled"] is False
    assert v2["contact"]["account"] is None


async def test_recent_log_ins_count_as_active_this_month(ke: Instance) -> None:
    await _seed(ke)
    token = await token_for(ke, "amina", "read")
    await ke.client.get(
        "/api/v1/apps/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    v2 = (await ke.client.get("/api/v2/instance")).json()
    assert v2["usage"]["users"]["active_month"] == 1
