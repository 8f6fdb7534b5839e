"""Translation from a client while no engine runs: hidden posts are 404 first, then 503 with
Retry-After; the language list is empty, as Mastodon answers without a translation service.
With an engine: tests/translation/test_renditions.py."""

from __future__ import annotations

import pytest
from mastodon import MastodonNotFoundError

from tests.api.client_api import call, close_clients, headers, mastodon
from tests.api.oauth_flow import ke
from tests.api.scopes import app_token, bearer
from tests.servers import Instance

__all__ = ["close_clients", "ke"]


async def test_translate_is_unavailable_until_an_engine_runs(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    post = await call(amina.status_post, "Karibu darasani", language="sw")
    auth = await headers(ke, "baraka")
    answer = await ke.client.post(
        f"/api/v1/statuses/{post['id']}/translate", data={"lang": "en"}, headers=auth
    )
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "300"
    assert answer.json()["error"] == "Translation service unavailable"
    assert answer.json()["error_description"]
    # An app's own token may translate public posts too (Mastodon: app token + read:statuses).
    app = await ke.client.post(
        f"/api/v1/statuses/{post['id']}/translate", headers=bearer(await app_token(ke))
    )
    assert app.status_code == 503
    anonymous = await ke.client.post(f"/api/v1/statuses/{post['id']}/translate")
    assert anonymous.status_code == 401


async def test_a_post_the_reader_cannot_see_is_not_found_before_anything_else(
    ke: Instance,
) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    secret = await call(amina.status_post, "Staff room only", visibility="private")
    for status_id in (secret["id"], "12345", "not-a-number"):
        with pytest.raises(MastodonNotFoundError):
            await call(baraka.status_translate, status_id, lang="fr")
    app = await ke.client.post(
        f"/api/v1/statuses/{secret['id']}/translate", headers=bearer(await app_token(ke))
    )
    assert app.status_code == 404
    # Her own followers-only post is hers to (try to) translate.
    own = await ke.client.post(
        f"/api/v1/statuses/{secret['id']}/translate", headers=await headers(ke, "amina")
    )
    assert own.status_code == 503


async def test_no_translation_languages_without_an_engine(ke: Instance) -> None:
    answer = await ke.client.get("/api/v1/instance/translation_languages")
    assert answer.status_code == 200
    assert answer.json() == {}
    instance = (await ke.client.get("/api/v2/instance")).json()
    assert instance["configuration"]["translation"] == {"enabled": False}
