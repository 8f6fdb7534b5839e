"""A real browser (headless Chromium, no JavaScript needed by the pages): a teacher opens an
invite link, signs up in Kiswahili, and posts. Screenshots land in tests/web/screenshots/
(git-ignored) for a person to look at.

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install chromium
chromium-driver``) and the ``selenium`` package; skipped with that reason otherwise.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from fedi.db.models import Status
from fedi.domain import invites
from tests.conftest import Database
from tests.servers import Instance
from tests.web.staleness import stale

SCREENSHOTS = Path(__file__).with_name("screenshots")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no headless browser: apt-get install chromium chromium-driver",
)


def press(driver: Any, selector: str) -> None:
    """Click and wait until the next page has replaced this one (a click returns before
    the browser navigates)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    before = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 30).until(lambda _: stale(before))


def sign_up_and_post(base: str, code: str) -> tuple[str, str]:
    """Drive the browser as the teacher does; returns (page language, thread URL)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=sw"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "sw,en"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        driver.set_window_size(412, 900)  # a phone's screen
        driver.get(f"{base}/invite/{code}")
        language = driver.find_element(By.TAG_NAME, "html").get_attribute("lang") or ""
        driver.save_screenshot(str(SCREENSHOTS / "1-invite.png"))
        assert driver.find_element(By.ID, "invite_code").get_attribute("value") == code
        for field, value in {
            "username": "neema",
            "display_name": "Neema Mushi",
            "email": "neema@school.example",
            "password": "nambari na sayansi",
            "password_confirm": "nambari na sayansi",
        }.items():
            driver.find_element(By.ID, field).send_keys(value)
        press(driver, "form[action='/signup'] button")
        driver.save_screenshot(str(SCREENSHOTS / "2-profile.png"))
        assert "Neema Mushi" in driver.page_source
        press(driver, "a[href='/compose']")
        driver.find_element(By.ID, "status").send_keys("Somo la sehemu kwa karatasi")
        press(driver, "form[action='/compose'] button")
        driver.save_screenshot(str(SCREENSHOTS / "3-thread.png"))
        assert "Somo la sehemu kwa karatasi" in driver.page_source
        return language, driver.current_url
    finally:
        driver.quit()


async def test_a_teacher_signs_up_with_an_invite_and_posts_in_a_real_browser(
    database: Database, ke: Instance
) -> None:
    if database.backend != "sqlite":
        pytest.skip("the browser story runs once, on SQLite")
    pytest.importorskip("selenium")
    async with ke.state.sessions() as session, session.begin():
        invite = await invites.create_invite(session, max_uses=1, expires_in=timedelta(days=1))
        code = invite.code
    language, url = await asyncio.to_thread(sign_up_and_post, ke.url, code)
    assert language == "sw"
    assert "/@neema/" in url
    async with ke.state.readers() as session:
        posted = await session.scalar(select(Status).order_by(Status.id.desc()).limit(1))
    assert posted is not None
    assert posted.text == "Somo la sehemu kwa karatasi"
    assert posted.language == "sw"
