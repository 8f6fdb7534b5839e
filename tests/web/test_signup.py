"""Teachers join without an e-mail round trip: by invite link or code, or on an open or
approval instance; a form with errors comes back with each field's error and saves nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from fedi.db.base import utcnow
from fedi.db.models import Account, Invite, User
from fedi.domain import invites
from tests.servers import Instance
from tests.web.browser import browser, make_teacher
from tests.web.conftest import Launch

FORM = {
    "username": "wanjiru",
    "display_name": "Wanjiru Kamau",
    "email": "wanjiru@school.example",
    "password": "mwalimu wa hisabati",
    "password_confirm": "mwalimu wa hisabati",
}


async def accounts_count(instance: Instance) -> int:
    async with instance.state.readers() as session:
        return int(await session.scalar(select(func.count()).select_from(Account)) or 0)


async def new_invite(
    instance: Instance, *, max_uses: int | None = None, days: int | None = None
) -> str:
    async with instance.state.sessions() as session, session.begin():
        invite = await invites.create_invite(
            session, max_uses=max_uses, expires_in=timedelta(days=days) if days else None
        )
        return invite.code


async def test_a_teacher_joins_through_an_invite_link(ke: Instance) -> None:
    code = await new_invite(ke, max_uses=1)
    async with browser(ke, **{"Accept-Language": "sw"}) as wanjiru:
        shown = await wanjiru.get(f"/invite/{code}")
        assert shown.status_code == 200
        assert f'value="{code}"' in shown.text
        answer = await wanjiru.submit(f"/invite/{code}", "/signup", {**FORM, "invite_code": code})
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/@wanjiru"
        profile = await wanjiru.get("/@wanjiru")
    assert "Wanjiru Kamau" in profile.text
    assert "@wanjiru" in profile.text  # signed in: her name in the header
    async with ke.state.readers() as session:
        user = await session.scalar(select(User).where(User.email_lower == FORM["email"]))
        invite = await session.scalar(select(Invite).where(Invite.code == code))
    assert user is not None
    assert user.approved
    assert user.confirmed_at is not None
    assert user.locale == "sw"  # the language she signed up in
    assert invite is not None
    assert invite.uses == 1


async def test_a_code_typed_by_hand_is_forgiven_its_case_and_spaces(ke: Instance) -> None:
    code = await new_invite(ke)
    typed = code.replace("-", " ").lower()
    async with browser(ke) as wanjiru:
        answer = await wanjiru.submit("/signup", "/signup", {**FORM, "invite_code": typed})
    assert answer.status_code == 303


async def test_without_an_invite_the_form_says_one_is_needed_and_saves_nothing(
    ke: Instance,
) -> None:
    before = await accounts_count(ke)
    async with browser(ke, **{"Accept-Language": "fr"}) as stranger:
        answer = await stranger.submit("/signup", "/signup", FORM)
    assert answer.status_code == 422
    assert "Un code d'invitation est nécessaire pour rejoindre cette instance." in answer.text
    assert 'value="wanjiru"' in answer.text  # what she typed is kept…
    assert "mwalimu wa hisabati" not in answer.text  # …except the password
    assert await accounts_count(ke) == before


async def test_every_field_error_is_shown_at_once_in_the_readers_language(ke: Instance) -> None:
    code = await new_invite(ke)
    await make_teacher(ke, "amina")
    before = await accounts_count(ke)
    async with browser(ke, **{"Accept-Language": "pt"}) as joao:
        answer = await joao.submit(
            "/signup",
            "/signup",
            {
                "username": "bad name!",
                "email": "not-an-address",
                "password": "short",
                "password_confirm": "short",
                "invite_code": code,
            },
        )
        taken = await joao.submit(
            "/signup",
            "/signup",
            {**FORM, "username": "amina", "email": "amina@school.example", "invite_code": code},
        )
    assert answer.status_code == 422
    assert "O nome de utilizador deve ter de 1 a 30 letras" in answer.text
    assert "O endereço de e-mail não é válido" in answer.text
    assert "A palavra-passe deve ter pelo menos 8 caracteres" in answer.text
    assert answer.text.count('aria-invalid="true"') == 3
    assert taken.status_code == 422
    assert "Este nome de utilizador já está a ser usado" in taken.text
    assert "Este e-mail já está a ser usado" in taken.text
    assert await accounts_count(ke) == before
    async with ke.state.readers() as session:
        invite = await session.scalar(select(Invite).where(Invite.code == code))
    assert invite is not None
    assert invite.uses == 0


async def test_two_different_passwords_are_refused(ke: Instance) -> None:
    code = await new_invite(ke)
    async with browser(ke) as wanjiru:
        answer = await wanjiru.submit(
            "/signup",
            "/signup",
            {**FORM, "password_confirm": "something else", "invite_code": code},
        )
    assert answer.status_code == 422
    assert "The two passwords are not the same." in answer.text
    assert await accounts_count(ke) == 0


async def test_an_expired_invite_says_so_and_how_to_get_a_new_one(ke: Instance) -> None:
    code = await new_invite(ke, days=1)
    async with ke.state.sessions() as session, session.begin():
        invite = await session.scalar(select(Invite).where(Invite.code == code))
        assert invite is not None
        invite.expires_at = utcnow() - timedelta(minutes=1)
    async with browser(ke, **{"Accept-Language": "fr"}) as wanjiru:
        link = await wanjiru.get(f"/invite/{code}")
        posted = await wanjiru.submit("/signup", "/signup", {**FORM, "invite_code": code})
    expired = "Cette invitation a expiré. Demandez une nouvelle invitation à votre école"
    assert link.status_code == 410
    assert expired in link.text
    assert posted.status_code == 422
    assert expired in posted.text
    assert await accounts_count(ke) == 0


async def test_an_invite_used_up_says_so(ke: Instance) -> None:
    code = await new_invite(ke, max_uses=1)
    async with browser(ke) as first:
        assert (
            await first.submit("/signup", "/signup", {**FORM, "invite_code": code})
        ).status_code == 303
    async with browser(ke) as second:
        answer = await second.submit(
            "/signup",
            "/signup",
            {**FORM, "username": "otieno", "email": "otieno@school.example", "invite_code": code},
        )
        link = await second.get(f"/invite/{code}")
    assert answer.status_code == 422
    assert "already been used as many times as allowed" in answer.text
    assert link.status_code == 410
    assert await accounts_count(ke) == 1


async def test_an_unknown_invite_link_is_gone(ke: Instance) -> None:
    async with browser(ke, **{"Accept-Language": "sw"}) as stranger:
        answer = await stranger.get("/invite/AAAA-BBBB-CCCC")
    assert answer.status_code == 410
    assert "Msimbo huu wa mwaliko haujulikani hapa." in answer.text


async def test_on_an_approval_instance_the_account_waits_for_an_admin(launch: Launch) -> None:
    async with launch("approval") as ke, browser(ke) as wanjiru:
        answer = await wanjiru.submit("/signup", "/signup", FORM)
        assert answer.status_code == 200
        assert "An administrator will approve it" in answer.text
        refused = await wanjiru.log_in("wanjiru", FORM["password"])
        assert refused.status_code == 401
        assert "Your account is not active yet." in refused.text
        async with ke.state.readers() as session:
            user = await session.scalar(select(User).where(User.email_lower == FORM["email"]))
        assert user is not None
        assert not user.approved


async def test_on_an_open_instance_anyone_joins_at_once(launch: Launch) -> None:
    async with launch("open") as ke, browser(ke) as wanjiru:
        answer = await wanjiru.submit("/signup", "/signup", FORM)
        assert answer.status_code == 303
        assert "Wanjiru Kamau" in (await wanjiru.get("/@wanjiru")).text


async def test_a_sign_up_without_the_forms_token_is_refused(launch: Launch) -> None:
    async with launch("open") as ke, browser(ke) as forger:
        answer = await forger.client.post("/signup", data=FORM)
        assert answer.status_code == 403
        assert await accounts_count(ke) == 0


async def test_an_admin_makes_invites_on_a_page(ke: Instance) -> None:
    await make_teacher(ke, "mwangi", role="admin")
    await make_teacher(ke, "amina")
    async with browser(ke) as amina:
        await amina.log_in("amina")
        assert (await amina.get("/admin/invites")).status_code == 403
    async with browser(ke) as mwangi:
        await mwangi.log_in("mwangi")
        bad = await mwangi.submit(
            "/admin/invites", "/admin/invites", {"max_uses": "many", "expires_in": ""}
        )
        assert bad.status_code == 422
        assert "Enter a whole number" in bad.text
        made = await mwangi.submit(
            "/admin/invites", "/admin/invites", {"max_uses": "30", "expires_in": "14"}
        )
        assert made.status_code == 200
    async with ke.state.readers() as session:
        listed = (await session.scalars(select(Invite))).all()
    assert len(listed) == 1
    assert listed[0].max_uses == 30
    assert listed[0].expires_at is not None
    assert f"/invite/{listed[0].code}" in made.text
