"""Signing up from a Mastodon app (POST /api/v1/accounts) by the instance's policy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonIllegalArgumentError
from sqlalchemy import select

from fedi.db.models import Account
from tests.api.client_api import call
from tests.conftest import Database
from tests.servers import Instance, free_port, serve, write_instance


@pytest.fixture
async def open_ke(database: Database, tmp_path: Path) -> AsyncIterator[Instance]:
    config = write_instance(
        tmp_path,
        code="ke",
        port=free_port(),
        database_url=database.url,
        extra='[registration]\npolicy = "open"\n',
    )
    async with serve(config) as instance:
        yield instance


async def app_client(instance: Instance) -> Mastodon:
    client_id, client_secret = await call(
        Mastodon.create_app,
        "Tusky",
        api_base_url=instance.url,
    )
    return Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=instance.url,
        version_check_mode="none",
    )


async def test_with_open_registration_the_returned_token_works_at_once(
    open_ke: Instance,
) -> None:
    api = await app_client(open_ke)
    token = await call(
        api.create_account,
        "neema",
        "fractions-2026",
        "neema@school.example",
        agreement=True,
        locale="sw",
    )
    assert token
    me = await call(api.account_verify_credentials)
    assert me["username"] == "neema"
    posted = await call(api.status_post, "Habari walimu!")
    assert posted["account"]["username"] == "neema"


async def test_a_refused_sign_up_names_each_field_and_writes_nothing(open_ke: Instance) -> None:
    api = await app_client(open_ke)
    await call(
        api.create_account, "neema", "fractions-2026", "neema@school.example", agreement=True
    )
    app_token = (
        await open_ke.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": api.client_id,
                "client_secret": api.client_secret,
                "scope": "write",
            },
        )
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {app_token}"}
    taken = await open_ke.client.post(
        "/api/v1/accounts",
        headers=headers,
        json={
            "username": "neema",
            "email": "bad",
            "password": "x",
            "agreement": True,
            "locale": "sw",
        },
    )
    assert taken.status_code == 422
    body = taken.json()
    assert body["error"].startswith("Validation failed")
    assert {"email", "password"} <= set(body["details"])
    unagreed = await open_ke.client.post(
        "/api/v1/accounts",
        headers=headers,
        json={"username": "baraka", "email": "b@school.example", "password": "fractions-2026"},
    )
    assert unagreed.status_code == 422
    assert "error" in unagreed.json()
    async with open_ke.state.sessions() as session:
        names = set(await session.scalars(select(Account.username)))
    assert "baraka" not in names
    anonymous = await open_ke.client.post("/api/v1/accounts", json={"agreement": True})
    assert anonymous.status_code == 401


async def test_closed_and_invite_only_instances_refuse_strangers(
    database: Database, tmp_path: Path
) -> None:
    for code, extra, reason in (
        ("tz", "[features]\nopen_registration = false\n", "Sign-up is closed"),
        ("mz", '[registration]\npolicy = "invite"\n', "An invite code is needed"),
    ):
        config = write_instance(
            tmp_path, code=code, port=free_port(), database_url=database.url, extra=extra
        )
        async with serve(config) as instance:
            api = await app_client(instance)
            with pytest.raises(MastodonIllegalArgumentError, match=reason):
                await call(
                    api.create_account,
                    "amina",
                    "fractions-2026",
                    "amina@school.example",
                    agreement=True,
                )
            async with instance.state.sessions() as session:
                assert (
                    await session.scalar(select(Account).where(Account.username == "amina")) is None
                )
