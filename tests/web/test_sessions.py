"""Logging in and out of the pages: the session cookie's flags, CSRF on every form, the
CSP, and refusals that change nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.responses import Response

from fedi.db.models import BrowserSession
from fedi.web import sessions
from fedi.web.headers import CSP
from tests.servers import Instance
from tests.web.browser import browser, make_teacher


async def sessions_count(instance: Instance) -> int:
    async with instance.state.readers() as session:
        return int(await session.scalar(select(func.count()).select_from(BrowserSession)) or 0)


async def test_a_teacher_logs_in_with_her_username_and_out_again(ke: Instance) -> None:
    await make_teacher(ke, "amina")
    async with browser(ke) as amina:
        answer = await amina.log_in("amina")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"
        cookie = next(
            value
            for name, value in answer.headers.multi_items()
            if name == "set-cookie" and value.startswith("jamii_session=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
        home = await amina.get("/")
        assert "@amina" in home.text
        assert home.headers["cache-control"] == "private, no-store"
        assert await sessions_count(ke) == 1
        out = await amina.submit("/", "/logout", {})
        assert out.status_code == 303
        assert await sessions_count(ke) == 0
        assert "@amina" not in (await amina.get("/")).text


async def test_the_e_mail_address_works_as_the_login_too(ke: Instance) -> None:
    await make_teacher(ke, "amina")
    async with browser(ke) as amina:
        assert (await amina.log_in("amina@school.example")).status_code == 303


def test_on_https_the_cookie_is_secure_and_host_only(ke: Instance) -> None:
    config = ke.config.model_copy(update={"dev_insecure": False})
    response = Response()
    sessions.set_cookie(response, config, "token")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-jamii_session=token")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "Path=/" in cookie
    assert "Domain" not in cookie


async def test_a_wrong_password_is_refused_in_the_readers_language(ke: Instance) -> None:
    await make_teacher(ke, "amina")
    async with browser(ke, **{"Accept-Language": "pt"}) as stranger:
        answer = await stranger.log_in("amina", "not her password")
        unknown = await stranger.log_in("nobody", "not her password")
    assert answer.status_code == unknown.status_code == 401
    message = "Nome de utilizador, endereço de e-mail ou palavra-passe incorretos."
    assert message in answer.text
    assert message in unknown.text
    assert "jamii_session" not in answer.headers.get("set-cookie", "")
    assert await sessions_count(ke) == 0


async def test_a_log_in_without_the_forms_token_is_refused(ke: Instance) -> None:
    await make_teacher(ke, "amina")
    async with browser(ke, **{"Accept-Language": "fr"}) as forger:
        await forger.get("/login")  # holds the cookie, but posts without the field
        answer = await forger.client.post(
            "/login", data={"login": "amina", "password": "correct horse battery"}
        )
    assert answer.status_code == 403
    assert "Ce formulaire a expiré" in answer.text
    assert await sessions_count(ke) == 0


async def test_a_form_posted_from_another_site_is_refused(ke: Instance) -> None:
    await make_teacher(ke, "amina")
    async with browser(ke) as amina:
        page = await amina.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = await amina.client.post(
            "/login",
            data={"login": "amina", "password": "correct horse battery", "csrf_token": token},
            headers={"Origin": "https://evil.example"},
        )
    assert answer.status_code == 403
    assert await sessions_count(ke) == 0


async def test_pages_send_a_csp_without_inline_script_or_style(ke: Instance) -> None:
    async with browser(ke) as reader:
        for path in ("/", "/login", "/signup", "/activate"):
            page = await reader.get(path)
            csp = page.headers["content-security-policy"]
            assert csp == CSP
            assert "unsafe-inline" not in csp
            assert "script-src 'self'" in csp
            assert "frame-ancestors 'none'" in csp
            assert page.headers["x-content-type-options"] == "nosniff"
            assert "<script" not in page.text
            assert "style=" not in page.text


async def test_settings_need_a_signed_in_teacher(ke: Instance) -> None:
    async with browser(ke) as stranger:
        answer = await stranger.get("/settings")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/settings"


async def test_a_page_asking_to_log_in_keeps_its_query_for_afterwards(ke: Instance) -> None:
    async with browser(ke) as stranger:
        answer = await stranger.get("/admin/signups?status=pending&page=2")
        assert answer.status_code == 303
        assert (
            answer.headers["location"] == "/login?next=/admin/signups%3Fstatus%3Dpending%26page%3D2"
        )
        form = await stranger.get(answer.headers["location"])
    assert 'name="next" value="/admin/signups?status=pending&amp;page=2"' in form.text


async def test_log_in_sends_the_teacher_back_only_to_a_page_of_this_site(ke: Instance) -> None:
    await make_teacher(ke, "amina")
    async with browser(ke) as amina:
        shown = await amina.get("/login?next=//evil.example/")
        token = shown.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = await amina.client.post(
            "/login",
            data={
                "login": "amina",
                "password": "correct horse battery",
                "next": "//evil.example/",
                "csrf_token": token,
            },
        )
    assert answer.headers["location"] == "/"


async def test_a_password_change_signs_other_browsers_out(ke: Instance) -> None:
    await make_teacher(ke, "amina")
    async with browser(ke) as phone, browser(ke) as school_pc:
        await phone.log_in("amina")
        await school_pc.log_in("amina")
        wrong = await phone.submit(
            "/settings",
            "/settings/password",
            {
                "current_password": "wrong",
                "new_password": "a much longer secret",
                "new_password_confirm": "a much longer secret",
            },
        )
        assert wrong.status_code == 422
        assert "The current password is not right" in wrong.text
        assert await sessions_count(ke) == 2
        changed = await phone.submit(
            "/settings",
            "/settings/password",
            {
                "current_password": "correct horse battery",
                "new_password": "a much longer secret",
                "new_password_confirm": "a much longer secret",
            },
        )
        assert changed.status_code == 200
        assert await sessions_count(ke) == 1
        assert (await school_pc.get("/settings")).status_code == 303
        assert (await phone.get("/settings")).status_code == 200
    async with browser(ke) as again:
        assert (await again.log_in("amina", "a much longer secret")).status_code == 303
