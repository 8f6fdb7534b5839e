"""A federated post's language: the peer's own when it gave one, detected when it did not.

A real Mastodon Create (tests/fixtures/peers) is varied, signed, delivered to Kenya's
running instance over loopback and processed by its worker; the stored status is read back.
"""

from __future__ import annotations

from typing import Any

import pytest

from fedi.db.models import Account, Status
from tests.federation.remote import KeyHolder, RemoteServer, deliver, one, settle
from tests.federation.test_peer_payloads import Peer, amina, aminas_post, ke, peer, server
from tests.servers import Instance

__all__ = ["amina", "aminas_post", "ke", "server"]

SWAHILI = "Nawashirikisha zoezi la sehemu kwa kutumia vipande vya karatasi, wanafunzi wamefurahi."


def _variant(mastodon: Peer, number: int, content: str, content_map: Any) -> dict[str, Any]:
    """Mastodon's Create of a Note, as a new post with this content and contentMap."""
    create = mastodon.load("create_note.json")
    note = create["object"]
    note["id"] = f"{note['id']}{number}"
    create["id"] = f"{note['id']}/activity"
    note["content"] = f"<p>{content}</p>"
    note["summary"] = None
    note["sensitive"] = False
    if content_map is None:
        note.pop("contentMap")
    else:
        note["contentMap"] = {code: f"<p>{content}</p>" for code in content_map}
    return create


async def _stored_language(mastodon: Peer, signer: KeyHolder, create: dict[str, Any]) -> str | None:

    assert (await deliver(mastodon.home, create, signer=signer)).status_code == 202
    await settle(mastodon.home)
    stored = await one(mastodon.home, Status, Status.uri == create["object"]["id"])
    assert stored is not None, "the post was not stored"
    return stored.language


@pytest.mark.parametrize(
    ("content_map", "expected"),
    [
        (None, "sw"),  # no contentMap at all: detected
        (["und"], "sw"),  # "undetermined" is no answer: detected
        (["en"], "en"),  # the peer said English: its choice is kept, even if it looks wrong
        (["pt"], "pt"),
    ],
)
async def test_a_peers_language_is_kept_and_a_missing_one_detected(
    ke: Instance,
    server: RemoteServer,
    amina: Account,
    aminas_post: Status,
    content_map: list[str] | None,
    expected: str,
) -> None:
    mastodon = peer("mastodon", server, ke, aminas_post)
    signer = mastodon.publish_actor("person.json")
    create = _variant(mastodon, 1, SWAHILI, content_map)
    assert await _stored_language(mastodon, signer, create) == expected


async def test_too_short_a_post_stays_without_a_language(
    ke: Instance, server: RemoteServer, amina: Account, aminas_post: Status
) -> None:
    mastodon = peer("mastodon", server, ke, aminas_post)
    signer = mastodon.publish_actor("person.json")
    create = _variant(mastodon, 2, "Asante! 🙏", None)
    assert await _stored_language(mastodon, signer, create) is None


async def test_an_update_without_a_language_detects_the_new_text(
    ke: Instance, server: RemoteServer, amina: Account, aminas_post: Status
) -> None:
    mastodon = peer("mastodon", server, ke, aminas_post)
    signer = mastodon.publish_actor("person.json")
    create = _variant(mastodon, 3, "Asante! 🙏", None)
    assert await _stored_language(mastodon, signer, create) is None
    update = dict(create, id=f"{create['object']['id']}#updates/1", type="Update")
    update["object"] = dict(create["object"], content=f"<p>{SWAHILI}</p>")
    assert await _stored_language(mastodon, signer, update) == "sw"
