"""The directory's rules without the network: what a typed handle or URL names, the
search filters, what a remote Group's profile fields say, and discovery with no resolver."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.domain import communities, community_directory
from fedi.domain.communities import Settings
from fedi.domain.community_directory import Filters, Reference, parse_reference
from fedi.errors import NotFound, ValidationFailed
from tests.factories import KE, remote_teacher, teacher


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("maths", Reference(name="maths")),
        ("@maths", Reference(name="maths")),
        ("maths@ke.test", Reference(name="maths")),
        ("@maths@SN.example", Reference(name="maths", domain="sn.example")),
        ("acct:maths@sn.example:8443", Reference(name="maths", domain="sn.example:8443")),
        ("  @maths@sn.example ", Reference(name="maths", domain="sn.example")),
        ("https://ke.test/@maths", Reference(name="maths")),
        ("https://ke.test/users/maths", Reference(name="maths")),
        ("https://lemmy.example/c/maths", Reference(url="https://lemmy.example/c/maths")),
    ],
)
def test_a_typed_handle_or_url_names_a_community(typed: str, expected: Reference) -> None:
    assert parse_reference(KE, typed) == expected


@pytest.mark.parametrize("typed", ["", "maths maths", "@@x", "ftp://sn.example/maths", "a@b@c"])
def test_anything_else_is_refused_with_422(typed: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_reference(KE, typed)


def test_one_of_our_urls_that_names_no_community_is_404() -> None:
    with pytest.raises(NotFound):
        parse_reference(KE, "https://ke.test/about")


async def test_the_directory_filters_and_orders_ours_first(session: AsyncSession) -> None:
    amina = await teacher(session, "amina")
    await communities.create(
        session,
        KE,
        Settings(name="maths", display_name="Maths", subject="Mathematics", languages=["en"]),
        creator=amina,
    )
    group = await remote_teacher(session, "sayansi", "tz.example")
    group.actor_type = "Group"
    group.fields = [
        {"name": "Subject", "value": "Science"},
        {"name": "Languages", "value": "sw, en"},
        {"name": "Posting", "value": "members"},
        {"name": "Rule 1", "value": "<p>Be kind</p>"},
    ]
    await session.flush()
    await communities.describe_remote(session, group, moderators_url=None, moderators_only=False)
    remote = await communities.find(session, group)
    assert remote is not None
    assert remote.community.subject == "Science"
    assert remote.community.languages == ["sw", "en"]
    assert remote.community.rules == ["Be kind"]
    assert remote.community.posting_policy == "members"

    def names(found: list[communities.CommunityView]) -> list[str]:
        return [view.account.username for view in found]

    assert names(await community_directory.search(session, Filters())) == ["maths", "sayansi"]
    assert names(await community_directory.search(session, Filters(language="sw"))) == ["sayansi"]
    assert names(await community_directory.search(session, Filters(language="e"))) == []
    assert names(await community_directory.search(session, Filters(subject="math"))) == ["maths"]
    assert names(await community_directory.search(session, Filters(local=False))) == ["sayansi"]
    assert names(await community_directory.search(session, Filters(text="SAY"))) == ["sayansi"]
    assert names(await community_directory.search(session, Filters(text="100%"))) == []
    with pytest.raises(ValidationFailed):
        Filters(offset=-1)

    # Without federation, only what is known here is found.
    found = await community_directory.discover(session, KE, "sayansi@tz.example", None)
    assert found.account.id == group.id
    with pytest.raises(NotFound):
        await community_directory.discover(session, KE, "nobody@tz.example", None)
    with pytest.raises(ValidationFailed):
        await community_directory.discover(session, KE, "amina", None)
