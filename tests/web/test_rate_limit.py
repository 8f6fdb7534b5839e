"""Guessing passwords on the log-in page runs into the per-IP window, told in the reader's
language, and the right password stops working too until the window passes."""

from __future__ import annotations

from fedi.api.ratelimit import LOGIN_LIMIT
from tests.servers import Instance
from tests.web.browser import browser, make_teacher


async def test_too_many_log_in_attempts_are_refused_in_the_readers_language(
    ke: Instance,
) -> None:
    await make_teacher(ke, "amina")
    async with browser(ke, **{"Accept-Language": "sw"}) as guesser:
        for _ in range(LOGIN_LIMIT[0]):
            assert (await guesser.log_in("amina", "guess")).status_code == 401
        refused = await guesser.log_in("amina")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "Majaribio mengi mno" in refused.text
    assert "jamii_session" not in refused.headers.get("set-cookie", "")
