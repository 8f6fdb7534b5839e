"""The teacher's whole story in a real browser (headless Chromium, no JavaScript needed):
a teacher in Senegal opens an invite link, signs up (in French, her browser's language),
joins a community that lives on the Kenyan instance by typing its handle, posts a thread
in French, and reads a Kiswahili reply from Kenya shown in French, with the original a
link away. Three real instances on loopback, real federation, and translation by the real
Argos path on tiny self-built packages (Kiswahili→English→French, a pivot; the tiny models
"translate" into upper case). Screenshots land in tests/web/screenshots/ (git-ignored).

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package; skipped
with that reason otherwise (CI installs them, see .ci/run).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from fedi.db.models import Account, CommunityPost, Status
from fedi.domain import communities, invites
from fedi.domain.communities import Settings
from tests.api.client_api import call, close_clients, mastodon
from tests.databases import Templates
from tests.federation.trio import Peer, eventually, trio
from tests.translation.fixtures import TinyPackages
from tests.translation.instances import translation_table
from tests.web.staleness import stale
from tests.web.test_browser import CHROMEDRIVER, CHROMIUM, SCREENSHOTS
from translation import ArgosPaths

__all__ = ["close_clients"]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no headless browser: apt-get install chromium chromium-driver",
)
PATIENCE = 30.0  # seconds a page may take to show what federation brings


@pytest.fixture
async def federation(
    tmp_path: Path, db_templates: Templates, paths: ArgosPaths, tiny: TinyPackages
) -> AsyncIterator[tuple[Peer, Peer, Peer]]:
    # One backend is enough for a browser: the story runs on SQLite.
    tiny.unpack(paths.packages, ("sw", "en"), ("en", "sw"), ("en", "fr"), ("fr", "en"))
    async with trio("sqlite", tmp_path, db_templates, translation_table(paths)) as peers:
        yield peers


class Teacher:
    """A Chromium window on one instance, driven from a thread (selenium blocks)."""

    def __init__(self, driver: Any, base: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver = driver
        self.base = base
        self.by = By

    def open(self, path: str) -> None:
        self.driver.get(f"{self.base}{path}")

    def type(self, element_id: str, text: str) -> None:
        field = self.driver.find_element(self.by.ID, element_id)
        field.clear()
        field.send_keys(text)

    def submit(self, form: str) -> None:
        """Press the form's button and wait for the answer's page: a click returns before
        the browser has navigated, and the next step must see the new page (and cookie)."""
        self.press(f"{form} button[type=submit], {form} button")

    def press(self, selector: str) -> None:
        """Click ``selector`` (a button or a link) and wait until the next page replaced
        this one."""
        from selenium.webdriver.support.ui import WebDriverWait

        before = self.driver.find_element(self.by.TAG_NAME, "html")
        self.driver.find_element(self.by.CSS_SELECTOR, selector).click()
        WebDriverWait(self.driver, PATIENCE).until(lambda _: stale(before))

    def has(self, selector: str) -> bool:
        return bool(self.driver.find_elements(self.by.CSS_SELECTOR, selector))

    def text(self, selector: str) -> str:
        return str(self.driver.find_element(self.by.CSS_SELECTOR, selector).text)

    def reload_until(self, selector: str, within: float = PATIENCE) -> None:
        """Reload, as a teacher would, until the page shows ``selector``."""
        deadline = time.monotonic() + within
        while not self.has(selector):
            if time.monotonic() > deadline:
                self.shot("timeout")
                raise AssertionError(f"{self.driver.current_url} never showed {selector}")
            time.sleep(0.5)
            self.driver.refresh()

    def shot(self, name: str) -> None:
        self.driver.save_screenshot(str(SCREENSHOTS / f"federation-{name}.png"))


@contextmanager
def chromium(base: str) -> Iterator[Teacher]:
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=fr"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr,en"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        driver.set_window_size(412, 900)  # a phone's screen
        yield Teacher(driver, base)
    finally:
        driver.quit()


async def step(action: Callable[[], Any]) -> Any:
    """One browser step, off the event loop that serves the three instances."""
    return await asyncio.to_thread(action)


async def test_sign_up_join_a_community_elsewhere_post_in_french_read_a_reply_in_french(
    federation: tuple[Peer, Peer, Peer],
) -> None:
    pytest.importorskip("selenium")
    ke, sn, _ = federation
    amina = await ke.teacher("amina")
    async with ke.session() as session, session.begin():
        creator = await session.get(Account, amina.id)
        await communities.create(
            session,
            ke.site,
            Settings(name="maths", display_name="Mathematics, secondary", languages=["en", "sw"]),
            creator=creator,
        )
    async with sn.session() as session, session.begin():
        invite = await invites.create_invite(session, max_uses=1, expires_in=timedelta(days=1))
        code = invite.code

    with chromium(sn.instance.url) as aicha:
        # 1. The invite link: sign-up in French, no e-mail round trip.
        def sign_up() -> str:
            aicha.open(f"/invite/{code}")
            language = aicha.driver.find_element(aicha.by.TAG_NAME, "html").get_attribute("lang")
            aicha.shot("1-invite")
            for field, value in {
                "username": "aicha",
                "display_name": "Aïcha Diop",
                "email": "aicha@ecole.example",
                "password": "les fractions en papier",
                "password_confirm": "les fractions en papier",
            }.items():
                aicha.type(field, value)
            aicha.submit("form[action='/signup']")
            return str(language)

        assert await step(sign_up) == "fr"

        # 2. Join the community on Kenya's instance by its handle.
        def join() -> str:
            aicha.open("/communities")
            aicha.type("handle", f"maths@{ke.site.domain}")
            aicha.submit("form#join-remote")
            aicha.shot("2-joining")
            aicha.reload_until("form#compose")  # once Kenya has accepted
            aicha.shot("3-member")
            return str(aicha.driver.current_url)

        community_url = await step(join)
        assert community_url.endswith(f"/communities/maths@{ke.site.domain}")

        # 3. A thread in French, from the community's page.
        def post() -> str:
            aicha.type("title", "Les fractions")
            aicha.type("status", "Les fractions avec des bandes de papier")
            from selenium.webdriver.support.ui import Select

            Select(aicha.driver.find_element(aicha.by.ID, "language")).select_by_value("fr")
            aicha.submit("form#compose")
            aicha.shot("4-thread")
            return str(aicha.driver.current_url)

        thread_url = await step(post)
        assert "/@aicha/" in thread_url
        sn_post = await sn_status(sn, Status.id == int(thread_url.rsplit("/", 1)[1]))
        assert (sn_post.text, sn_post.language) == ("Les fractions avec des bandes de papier", "fr")

        # 4. Amina, in Kenya, reads it in the community and answers in Kiswahili.
        async def on_ke() -> int | None:
            found = await _status(ke, Status.uri == sn_post.uri)
            if found is None:
                return None
            async with ke.session() as session:
                filed = await session.get(CommunityPost, found.id)
            return found.id if filed is not None else None

        ke_id = await eventually(on_ke, wake=[ke, sn], within=PATIENCE)
        client = await mastodon(ke.instance, "amina")
        await call(
            client.status_post,
            "Asante, nitajaribu kesho darasani.",
            in_reply_to_id=ke_id,
            language="sw",
        )

        # 5. Aïcha reads the reply in French, and its original a link away.
        def read() -> tuple[str, str, str]:
            aicha.open(thread_url.removeprefix(aicha.base))
            aicha.reload_until("article p.translated")
            aicha.shot("5-reply-in-french")
            shown = aicha.text("main")
            line = aicha.text("article p.translated")
            aicha.press("article a.show-original")
            aicha.shot("6-original")
            return shown, line, aicha.text("main")

        shown, line, original = await step(read)
    assert "ASANTE, NITAJARIBU KESHO DARASANI." in shown
    assert "Les fractions avec des bandes de papier" in shown
    assert "swahili" in line.lower()
    assert "Asante, nitajaribu kesho darasani." in original


async def _status(peer: Peer, *where: Any) -> Status | None:
    async with peer.session() as session:
        found: Status | None = await session.scalar(select(Status).where(*where).limit(1))
        return found


async def sn_status(peer: Peer, *where: Any) -> Status:
    found = await _status(peer, *where)
    assert found is not None
    return found
