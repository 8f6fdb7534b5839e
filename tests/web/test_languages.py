"""A teacher reads the pages in their language: the browser's Accept-Language, a chosen
language remembered in a cookie, and — once signed in — their own setting, which wins."""

from __future__ import annotations

import re
from datetime import timedelta

from babel.messages.pofile import read_po

from fedi.db.base import utcnow
from fedi.domain.site import Site
from fedi.web import i18n
from tests.factories import say, teacher
from tests.servers import Instance
from tests.web.browser import browser, make_teacher

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def html_lang(text: str) -> str:
    found = re.search(r'<html lang="([a-z]+)">', text)
    assert found, text[:200]
    return found.group(1)


async def test_a_french_browser_gets_french_pages(ke: Instance) -> None:
    async with browser(ke, **{"Accept-Language": "fr-SN,fr;q=0.9,en;q=0.5"}) as amadou:
        page = await amadou.get("/login")
    assert page.status_code == 200
    assert html_lang(page.text) == "fr"
    assert "Nom d'utilisateur ou adresse e-mail" in page.text
    assert "Username or e-mail address" not in page.text
    assert "Accept-Language" in page.headers["vary"]


async def test_weights_and_regions_in_accept_language_are_honoured(ke: Instance) -> None:
    async with browser(ke, **{"Accept-Language": "de;q=1, sw;q=0.3, pt-BR;q=0.8"}) as joao:
        page = await joao.get("/signup")
    assert html_lang(page.text) == "pt"
    assert "Palavra-passe" in page.text


async def test_an_unknown_language_falls_back_to_the_instance_language(ke: Instance) -> None:
    async with browser(ke, **{"Accept-Language": "de, ja"}) as reader:
        page = await reader.get("/")
    assert html_lang(page.text) == ke.config.languages.primary == "en"


async def test_a_chosen_language_is_remembered_in_a_cookie(ke: Instance) -> None:
    async with browser(ke, **{"Accept-Language": "en"}) as neema:
        chosen = await neema.get("/?lang=sw")
        assert html_lang(chosen.text) == "sw"
        assert "Machapisho ya hivi karibuni" in chosen.text
        later = await neema.get("/login")
    assert html_lang(later.text) == "sw"
    assert "Ingia" in later.text


async def test_the_signed_in_teachers_setting_overrides_the_browser(ke: Instance) -> None:
    await make_teacher(ke, "amina")
    async with browser(ke, **{"Accept-Language": "fr"}) as amina:
        assert (await amina.log_in("amina")).status_code == 303
        # Her account says English: that wins over the French browser she borrowed.
        settings = await amina.get("/settings")
        assert html_lang(settings.text) == "en"
        saved = await amina.submit(
            "/settings",
            "/settings",
            {"interface_language": "sw", "languages": ["sw", "en"], "translate": "on"},
        )
        assert saved.status_code == 200
        assert html_lang(saved.text) == "sw"
        assert "Mipangilio yako imehifadhiwa." in saved.text
        home = await amina.get("/?lang=pt")
    assert html_lang(home.text) == "sw"


async def test_counts_and_dates_are_localised(ke: Instance) -> None:
    site = Site.from_config(ke.config)
    async with ke.state.sessions() as session, session.begin():
        amina = await teacher(session, "amina", site=site)
        await say(session, amina, "Lesson plan on fractions", site=site)
    async with browser(ke, **{"Accept-Language": "fr"}) as reader:
        page = await reader.get("/")
    assert "0 réponse " in page.text or "0 réponse\n" in page.text
    assert "il y a" in page.text or "dans" in page.text
    assert i18n.ago(utcnow() - timedelta(hours=2), "sw") == "saa 2 zilizopita"
    french = i18n.translations("fr").ngettext("%(num)d reply", "%(num)d replies", 3)
    assert french % {"num": 3} == "3 réponses"
    portuguese = i18n.translations("pt").ngettext("%(num)d reply", "%(num)d replies", 1)
    assert portuguese % {"num": 1} == "1 resposta"


def test_every_interface_string_is_translated_in_every_language() -> None:
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as source:
        template = read_po(source)
    wanted = {message.id for message in template if message.id}
    assert len(wanted) > 80
    for lang in ("fr", "pt", "sw"):
        with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as source:
            catalog = read_po(source, locale=lang)
        by_id = {message.id: message for message in catalog if message.id}
        assert set(by_id) >= wanted, (lang, wanted - set(by_id))
        for message_id in wanted:
            message = by_id[message_id]
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            source_ids = message_id if isinstance(message_id, tuple) else (message_id,)
            assert all(strings), (lang, message_id)
            expected = set(PLACEHOLDER.findall(source_ids[0]))
            for text in strings:
                assert set(PLACEHOLDER.findall(text)) == expected, (lang, message_id, text)
