"""The language a post is stored with when a client sends none, or only a default.

Through Mastodon.py against a served instance (primary language en): the detected language
is what the client reads back, what the post's page claims, and what federation sends.
"""

from __future__ import annotations

from tests.api.client_api import call, close_clients, mastodon
from tests.api.oauth_flow import ke
from tests.servers import Instance

__all__ = ["close_clients", "ke"]

SWAHILI = "Leo tumefanya jaribio la usanisinuru na darasa la saba, wamefurahi sana #sayansi"
FRENCH = "Demain, je teste le travail en binômes avec mes élèves de CM2. Des conseils ?"
ENGLISH = "Tomorrow I am trying think-pair-share with my Grade 6 class. Any advice?"


async def test_a_post_without_a_language_gets_the_detected_one(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    for text, language in ((SWAHILI, "sw"), (FRENCH, "fr"), (ENGLISH, "en")):
        posted = await call(amina.status_post, text)
        assert posted["language"] == language, text
        again = await call(amina.status, posted["id"])
        assert again["language"] == language


async def test_too_little_text_falls_back_to_the_teachers_default(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    assert (await call(amina.status_post, "Asante! 🙏"))["language"] is None
    await call(amina.account_update_credentials, default_language="sw")
    assert (await call(amina.status_post, "Asante! 🙏"))["language"] == "sw"


async def test_a_clients_default_language_gives_way_to_a_sure_detection(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    # en is the instance's primary language: what a client sends when nobody chose.
    assert (await call(amina.status_post, SWAHILI, language="en"))["language"] == "sw"
    # The teacher's own posting default is a default too.
    await call(amina.account_update_credentials, default_language="fr")
    assert (await call(amina.status_post, SWAHILI, language="fr"))["language"] == "sw"
    # A language that matches the text stays.
    assert (await call(amina.status_post, FRENCH, language="fr"))["language"] == "fr"


async def test_a_language_the_teacher_chose_is_kept(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    # pt is neither the instance's nor the teacher's default: a choice, not a default.
    posted = await call(amina.status_post, SWAHILI, language="pt")
    assert posted["language"] == "pt"
    # A sentence in a language outside the detected set keeps the default it was sent with.
    spanish = "Buenos días a todos los profesores, mañana empiezan los exámenes."
    assert (await call(amina.status_post, spanish, language="en"))["language"] == "en"


async def test_an_edit_without_a_language_detects_the_new_text(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    posted = await call(amina.status_post, "Asante! 🙏")
    assert posted["language"] is None
    edited = await call(amina.status_update, posted["id"], FRENCH)
    assert edited["language"] == "fr"
    # A later edit keeps the stored language unless the text says otherwise with certainty.
    edited = await call(amina.status_update, posted["id"], "Merci ! 🙏")
    assert edited["language"] == "fr"
