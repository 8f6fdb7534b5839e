"""Search (GET /api/v2/search) from a Mastodon client: local accounts, posts and hashtags,
our own URLs, and with ``resolve`` accounts and posts on other servers."""

from __future__ import annotations

import orjson
from sqlalchemy import func, select

from fedi.db.models import Account, Status
from fedi.federation.policy import set_rule
from tests.api.client_api import call, close_clients, headers, mastodon
from tests.api.oauth_flow import ke
from tests.federation.remote import RemoteServer, remote, remote_server
from tests.federation.trio import Peer, eventually, federation
from tests.servers import Instance, free_port

__all__ = ["close_clients", "federation", "ke", "remote"]


async def test_a_teacher_finds_accounts_posts_and_hashtags(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    neema = await mastodon(ke, "neema")
    mine = await call(amina.status_post, "Fractions with paper strips #Maths")
    public = await call(baraka.status_post, "More FRACTIONS: pizza slices #mathsclub")
    private = await call(baraka.status_post, "Fractions for my followers", visibility="private")
    unlisted = await call(neema.status_post, "Fractions, quietly", visibility="unlisted")
    await call(baraka.status_post, "Nothing about that topic")

    found = await call(amina.search_v2, "fractions")
    assert [s["id"] for s in found["statuses"]] == [public["id"], mine["id"]]
    assert found["accounts"] == []
    # Every word must appear, in any case; a quoted phrase as written.
    both = await call(amina.search_v2, "paper FRACTIONS", result_type="statuses")
    assert [s["id"] for s in both["statuses"]] == [mine["id"]]
    phrase = await call(amina.search_v2, '"strips fractions"', result_type="statuses")
    assert phrase["statuses"] == []

    # Following Baraka shows his followers-only post; Neema's unlisted one only once
    # Amina follows her too (unlisted posts stay out of strangers' discovery).
    await call(amina.account_follow, (await call(baraka.account_verify_credentials))["id"])
    followed = await call(amina.search_v2, "fractions", result_type="statuses")
    assert [s["id"] for s in followed["statuses"]] == [private["id"], public["id"], mine["id"]]
    await call(amina.account_follow, (await call(neema.account_verify_credentials))["id"])
    everything = await call(amina.search_v2, "fractions", result_type="statuses")
    assert unlisted["id"] in [s["id"] for s in everything["statuses"]]
    # Neema sees her own unlisted post but not Baraka's followers-only one.
    hers = await call(neema.search_v2, "fractions", result_type="statuses")
    assert [s["id"] for s in hers["statuses"]] == [unlisted["id"], public["id"], mine["id"]]

    tags = await call(amina.search_v2, "#math")
    assert [t["name"] for t in tags["hashtags"]] == ["Maths", "mathsclub"]
    assert tags["hashtags"][0]["url"] == f"{ke.url}/tags/maths"
    assert tags["hashtags"][0]["history"] == []

    people = await call(amina.search_v2, "bar", result_type="accounts")
    assert [a["acct"] for a in people["accounts"]] == ["baraka"]
    assert people["statuses"] == people["hashtags"] == []

    # Paging: limit per type, offset within one type, max_id and account_id.
    first = await call(amina.search_v2, "fractions", result_type="statuses", limit=2)
    rest = await call(amina.search_v2, "fractions", result_type="statuses", limit=2, offset=2)
    older = await call(
        amina.search_v2, "fractions", result_type="statuses", max_id=first["statuses"][-1]["id"]
    )
    ids = [s["id"] for s in everything["statuses"]]
    assert [s["id"] for s in first["statuses"] + rest["statuses"]] == ids
    assert [s["id"] for s in older["statuses"]] == ids[2:]
    by_amina = await call(
        amina.search_v2, "fractions", result_type="statuses", account_id=mine["account"]["id"]
    )
    assert [s["id"] for s in by_amina["statuses"]] == [mine["id"]]


async def test_blocks_hide_posts_and_accounts_both_ways(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    await call(baraka.status_post, "Fractions from Baraka")
    baraka_id = (await call(baraka.account_verify_credentials))["id"]
    assert len((await call(amina.search_v2, "fractions"))["statuses"]) == 1
    await call(baraka.account_block, (await call(amina.account_verify_credentials))["id"])
    hidden = await call(amina.search_v2, "fractions")
    assert hidden["statuses"] == []
    assert (await call(amina.search_v2, "baraka"))["accounts"] == []
    assert await call(amina.account_search, "baraka") == []
    assert [a["id"] for a in (await call(baraka.search_v2, "baraka"))["accounts"]] == [baraka_id]


async def test_anonymous_search_as_mastodon_allows_it(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    await call(amina.status_post, "Fractions in the open #maths")
    found = await ke.client.get("/api/v2/search", params={"q": "amina"})
    assert found.status_code == 200
    assert [a["acct"] for a in found.json()["accounts"]] == ["amina"]
    # Posts are searched for signed-in readers only (as Mastodon).
    words = await ke.client.get("/api/v2/search", params={"q": "fractions"})
    assert words.json() == {"accounts": [], "statuses": [], "hashtags": []}
    tags = await ke.client.get("/api/v2/search", params={"q": "math"})
    assert [t["name"] for t in tags.json()["hashtags"]] == ["maths"]

    resolve = await ke.client.get("/api/v2/search", params={"q": "x@y.example", "resolve": "1"})
    assert resolve.status_code == 401
    assert resolve.json() == {
        "error": "Search queries that resolve remote resources are not supported without "
        "authentication"
    }
    paged = await ke.client.get("/api/v2/search", params={"q": "amina", "offset": "0"})
    assert paged.status_code == 401
    assert "pagination" in paged.json()["error"]


async def test_bad_search_parameters_are_refused_naming_them(ke: Instance) -> None:
    auth = await headers(ke, "amina")
    for params, field in (
        ({"q": "amina", "type": "people"}, "type"),
        ({"q": "  "}, "q"),
        ({}, "q"),
        ({"q": "amina", "type": "accounts", "offset": "-1"}, "offset"),
        ({"q": "amina", "limit": "many"}, "limit"),
        ({"q": "amina", "max_id": "x"}, "max_id"),
    ):
        answer = await ke.client.get("/api/v2/search", params=params, headers=auth)
        assert answer.status_code == 422, params
        assert field in answer.json()["error"], params
    # v1 search was removed in Mastodon 3.0.
    gone = await ke.client.get("/api/v1/search", params={"q": "amina"}, headers=auth)
    assert gone.status_code == 404
    assert gone.json() == {"error": "Record not found"}


async def test_our_own_urls_find_our_objects_without_a_fetch(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    baraka = await mastodon(ke, "baraka")
    post = await call(amina.status_post, "Geometry with string")
    secret = await call(baraka.status_post, "Staff room only", visibility="private")
    me = await call(amina.account_verify_credentials)
    for url in (post["url"], post["uri"]):
        found = await call(amina.search_v2, url)
        assert [s["id"] for s in found["statuses"]] == [post["id"]], url
    for url in (me["url"], me["uri"]):
        found = await call(baraka.search_v2, url, resolve=False)
        assert [a["id"] for a in found["accounts"]] == [me["id"]], url
    # Someone else's followers-only post stays hidden, as if it did not exist.
    assert (await call(amina.search_v2, secret["url"]))["statuses"] == []
    assert (await call(baraka.search_v2, secret["url"]))["statuses"] != []
    # A type that does not match the object finds nothing.
    assert (await call(amina.search_v2, post["url"], result_type="accounts"))["statuses"] == []


# -- other servers ------------------------------------------------------------------------------


async def test_fatou_finds_amina_and_her_post_on_another_server(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    ke, sn, _ = federation
    amina = await mastodon(ke.instance, "amina")
    fatou = await mastodon(sn.instance, "fatou")
    me = await call(amina.account_verify_credentials)
    post = await call(amina.status_post, "Karibu! Fractions with paper strips #hisabati")
    domain = ke.instance.config.domain

    # Unknown on Senegal: without resolve, nothing; with it, WebFinger then the actor.
    assert (await call(fatou.search_v2, f"amina@{domain}", resolve=False))["accounts"] == []
    found = await call(fatou.search_v2, f"@amina@{domain}")
    [remote] = found["accounts"]
    assert (remote["acct"], remote["uri"]) == (f"amina@{domain}", me["uri"])
    for form in (f"amina@{domain}", f"acct:amina@{domain}"):
        again = await call(fatou.account_search, form, resolve=True)
        assert [a["id"] for a in again] == [remote["id"]], form

    # Her post, by its URL: fetched from Kenya (signed by Senegal's instance actor).
    by_url = await call(fatou.search_v2, post["url"])
    [status] = by_url["statuses"]
    assert (status["uri"], status["account"]["id"]) == (post["uri"], remote["id"])
    assert "Fractions" in status["content"]
    by_uri = await call(fatou.search_v2, post["uri"])
    assert [s["id"] for s in by_uri["statuses"]] == [status["id"]]
    async with sn.session() as session:
        stored = await session.scalar(select(func.count()).where(Status.uri == post["uri"]))
    assert stored == 1

    # And following what she found works across the border.
    await call(fatou.account_follow, remote["id"])

    async def following() -> bool:
        relation = (await call(fatou.account_relationships, remote["id"]))[0]
        return bool(relation["following"])

    await eventually(following, wake=[ke, sn])


async def test_a_blocked_server_is_never_asked(ke: Instance, remote: RemoteServer) -> None:
    zawadi = remote.actor("zawadi")
    note = zawadi.note("Fractions from a blocked server")
    remote.publish(note)
    async with ke.state.sessions() as session, session.begin():
        await set_rule(session, remote.host, "block", reason="spam")
    assert ke.state.federation is not None
    await ke.state.federation.policy.refresh(force=True)
    amina = await mastodon(ke, "amina")
    for query in (f"zawadi@{remote.host}", zawadi.uri, note["id"]):
        found = await call(amina.search_v2, query)
        assert found == {"accounts": [], "statuses": [], "hashtags": []}, query
    assert remote.seen == []
    async with ke.state.sessions() as session:
        assert await session.scalar(select(Account).where(Account.uri == zawadi.uri)) is None


async def test_an_unreachable_server_finds_nothing_without_an_error(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    nowhere = f"127.0.0.1:{free_port()}"
    for query in (f"nobody@{nowhere}", f"http://{nowhere}/users/nobody"):
        found = await call(amina.search_v2, query)
        assert found == {"accounts": [], "statuses": [], "hashtags": []}, query


async def test_a_handle_is_believed_only_when_the_actors_server_confirms_it(
    ke: Instance, remote: RemoteServer
) -> None:
    """A server's WebFinger may point a handle at an actor named otherwise (an alias);
    the actor's own WebFinger must then name it, or the search finds nothing."""
    zawadi = remote.actor("zawadi")
    alias = f"/.well-known/webfinger?resource=acct:teacher@{remote.host}"
    remote.documents[alias] = _jrd(f"acct:teacher@{remote.host}", zawadi.uri)
    amina = await mastodon(ke, "amina")
    assert (await call(amina.search_v2, f"teacher@{remote.host}"))["accounts"] == []
    assert remote.gets(alias) == 1
    async with ke.state.sessions() as session:
        assert await session.scalar(select(Account).where(Account.uri == zawadi.uri)) is None

    own = f"/.well-known/webfinger?resource=acct:zawadi@{remote.host}"
    remote.documents[own] = _jrd(f"acct:zawadi@{remote.host}", zawadi.uri)
    [found] = (await call(amina.search_v2, f"teacher@{remote.host}"))["accounts"]
    assert found["acct"] == f"zawadi@{remote.host}"


def _jrd(subject: str, actor: str) -> bytes:
    return orjson.dumps(
        {
            "subject": subject,
            "links": [{"rel": "self", "type": "application/activity+json", "href": actor}],
        }
    )


async def test_a_post_claiming_an_author_elsewhere_is_not_stored(ke: Instance) -> None:
    async with remote_server() as origin, remote_server() as elsewhere:
        zawadi = elsewhere.actor("zawadi")
        forged = {**zawadi.note("Not really mine"), "id": origin.url("/notes/1")}
        origin.publish(forged)
        amina = await mastodon(ke, "amina")
        found = await call(amina.search_v2, forged["id"])
        assert found["statuses"] == []
        assert origin.gets("/notes/1") == 1
        assert elsewhere.seen == []  # its author was never even fetched
    async with ke.state.sessions() as session:
        assert await session.scalar(select(Status).where(Status.uri == forged["id"])) is None
