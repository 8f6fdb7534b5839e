"""The admins' pages: instance settings and feature switches (in effect at once, kept over a
restart), other servers blocked or allowed, sign-ups approved, the roster uploaded. Each
page is for admins only; a form with mistakes saves nothing and says why in the reader's
language; a form without its token is refused."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from fedi.db.models import Account, DomainRule, InstanceOverride, User
from fedi.domain.site import Site
from fedi.web.headers import CSP
from tests.api.client_api import headers
from tests.conftest import Database
from tests.factories import say
from tests.federation.trio import eventually
from tests.servers import Instance, free_port, serve, write_instance
from tests.web.browser import Browser, browser, make_teacher, speaks
from tests.web.conftest import Launch

ADMIN_PAGES = ("/admin/settings", "/admin/federation", "/admin/signups", "/admin/roster")


async def count(instance: Instance, model: type, *where: object) -> int:
    async with instance.state.readers() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


def settings_form(instance: Instance, **changes: str) -> dict[str, str]:
    config = instance.state.config
    form = {
        "instance.name": config.instance.name,
        "instance.description": config.instance.description,
        "instance.contact_email": config.instance.contact_email,
        "branding.tagline": config.branding.tagline,
        "branding.primary_color": config.branding.primary_color,
        "registration.policy": config.registration.policy,
        "communities.creation": config.communities.creation,
        "features.open_registration": "on" if config.features.open_registration else "",
        "features.public_timeline": "on" if config.features.public_timeline else "",
        "features.translation": "on" if config.features.translation else "",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value != ""}


async def save_settings(admin: Browser, instance: Instance, **changes: str) -> httpx.Response:
    """Post the settings page's form as shown, with ``changes``, as a signed-in admin."""
    return await admin.submit(
        "/admin/settings", "/admin/settings", settings_form(instance, **changes)
    )


async def test_admin_pages_are_for_admins_only(ke: Instance) -> None:
    await make_teacher(ke, "amina")
    await make_teacher(ke, "juma", role="moderator")
    await make_teacher(ke, "mwangi", role="admin")
    async with browser(ke) as stranger:
        for path in ADMIN_PAGES:
            answer = await stranger.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == f"/login?next={path}"
    for name in ("amina", "juma"):
        await speaks(ke, name, "sw")
        async with browser(ke) as teacher:
            await teacher.log_in(name)
            for path in ADMIN_PAGES:
                refused = await teacher.get(path)
                assert refused.status_code == 403, (name, path)
                assert "administrators" not in refused.text  # said in Kiswahili
    async with browser(ke) as mwangi:
        await mwangi.log_in("mwangi")
        for path in (*ADMIN_PAGES, "/notifications", "/moderation", "/search?q=amina"):
            page = await mwangi.get(path)
            assert page.status_code == 200, path
            assert page.headers["cache-control"] == "private, no-store"
            assert page.headers["content-security-policy"] == CSP
            assert "<script" not in page.text
            assert "style=" not in page.text
        home = await mwangi.get("/")
    assert 'href="/admin/settings"' in home.text


async def test_a_feature_switched_off_takes_effect_at_once_and_after_a_restart(
    ke: Instance,
) -> None:
    site = Site.from_config(ke.config)
    await make_teacher(ke, "mwangi", role="admin")
    async with ke.state.sessions() as session, session.begin():
        author = await session.scalar(select(Account).where(Account.username == "mwangi"))
        assert author is not None
        await say(session, author, "Mock exams start on Monday", site=site)
    async with browser(ke) as visitor:
        assert "Mock exams start on Monday" in (await visitor.get("/")).text
        assert (await visitor.get("/api/v1/timelines/public")).status_code == 200
    async with browser(ke) as mwangi:
        await mwangi.log_in("mwangi")
        saved = await save_settings(
            mwangi,
            ke,
            **{
                "features.public_timeline": "",
                "instance.name": "Walimu Kenya",
                "branding.primary_color": "#AA3300",
            },
        )
        assert saved.status_code == 200, saved.text
        assert "The settings are saved and in effect." in saved.text
        assert "Changed here; instance.toml says: on" in saved.text
    async with browser(ke) as visitor:
        home = await visitor.get("/")
        assert "Walimu Kenya" in home.text
        assert "Mock exams start on Monday" not in home.text
        # Mastodon's answer to an anonymous reader of a closed public timeline.
        assert (await visitor.get("/api/v1/timelines/public")).status_code == 422
        assert "--brand:#aa3300" in (await visitor.get("/brand.css")).text
        assert (await visitor.get("/api/v1/instance")).json()["title"] == "Walimu Kenya"
    assert await count(ke, InstanceOverride) == 3


async def test_overrides_hold_after_a_restart(launch: Launch) -> None:
    async with launch("invite") as ke:
        await make_teacher(ke, "mwangi", role="admin")
        async with browser(ke) as mwangi:
            await mwangi.log_in("mwangi")
            saved = await save_settings(mwangi, ke, **{"registration.policy": "open"})
            assert saved.status_code == 200, saved.text
        assert ke.state.config.registration.policy == "open"
        config = ke.config
    assert config.registration.policy == "invite"  # the file is untouched
    async with serve(config) as again, browser(again) as wanjiru:
        assert again.state.config.registration.policy == "open"
        joined = await wanjiru.submit(
            "/signup",
            "/signup",
            {
                "username": "wanjiru",
                "email": "wanjiru@school.example",
                "password": "mwalimu wa hisabati",
                "password_confirm": "mwalimu wa hisabati",
            },
        )
        assert joined.status_code == 303  # open now: no invite needed
        # Saved back to the file's value, the override goes: the file speaks again.
        await make_teacher(again, "baraka", role="admin")
        async with browser(again) as baraka:
            await baraka.log_in("baraka")
            back = await save_settings(baraka, again, **{"registration.policy": "invite"})
            assert back.status_code == 200
        assert await count(again, InstanceOverride) == 0


async def test_settings_with_mistakes_save_nothing_and_say_why(ke: Instance) -> None:
    await make_teacher(ke, "mwangi", role="admin")
    await speaks(ke, "mwangi", "fr")
    async with browser(ke) as mwangi:
        await mwangi.log_in("mwangi")
        answer = await save_settings(
            mwangi,
            ke,
            **{
                "instance.name": "",
                "branding.primary_color": "blue-ish",
                "instance.contact_email": "not an address",
                "features.public_timeline": "",
            },
        )
        forged = await mwangi.client.post(
            "/admin/settings", data=settings_form(ke, **{"instance.name": "Forged"})
        )
    assert answer.status_code == 422
    assert "Saisissez un nom de 1 à 100 caractères." in answer.text
    assert "Saisissez une couleur comme #1f6f5c." in answer.text
    assert "L&#39;adresse e-mail n&#39;est pas valide" in answer.text
    assert 'value="blue-ish"' in answer.text  # what was typed is kept
    assert forged.status_code == 403
    assert await count(ke, InstanceOverride) == 0
    assert ke.state.config.features.public_timeline
    assert ke.state.config.instance.name == ke.config.instance.name


async def test_a_blocked_server_is_refused_by_the_inbox_at_once(ke: Instance) -> None:
    await make_teacher(ke, "mwangi", role="admin")
    await speaks(ke, "mwangi", "pt")
    signature = (
        'keyId="https://spam.example/users/bot#main-key",algorithm="rsa-sha256",'
        'headers="(request-target) host date digest",signature="AAAA"'
    )

    async def deliver() -> int:
        answer = await ke.client.post(
            "/inbox",
            content=b'{"type": "Create"}',
            headers={"Signature": signature, "Content-Type": "application/activity+json"},
        )
        return answer.status_code

    assert await deliver() != 403
    async with browser(ke) as mwangi:
        await mwangi.log_in("mwangi")
        bad = await mwangi.submit(
            "/admin/federation", "/admin/federation", {"domain": "not a domain!", "policy": "block"}
        )
        assert bad.status_code == 422
        assert "Introduza o domínio de um servidor" in bad.text
        assert await count(ke, DomainRule) == 0
        blocked = await mwangi.submit(
            "/admin/federation",
            "/admin/federation",
            {"domain": "spam.example", "reason": "spam", "policy": "block"},
        )
        assert blocked.status_code == 200
        assert "spam.example" in blocked.text
        assert await deliver() == 403
        removed = await mwangi.submit(
            "/admin/federation", "/admin/federation/remove", {"domain": "spam.example"}
        )
        assert removed.status_code == 200
    assert await deliver() != 403
    assert await count(ke, DomainRule) == 0


async def test_an_approved_sign_up_can_log_in(launch: Launch) -> None:
    form = {
        "display_name": "Wanjiru Kamau",
        "password": "mwalimu wa hisabati",
        "password_confirm": "mwalimu wa hisabati",
    }
    async with launch("approval") as ke:
        await make_teacher(ke, "mwangi", role="admin")
        async with browser(ke) as wanjiru:
            for name in ("wanjiru", "spammer"):
                answer = await wanjiru.submit(
                    "/signup",
                    "/signup",
                    {**form, "username": name, "email": f"{name}@school.example"},
                )
                assert answer.status_code == 200
            assert (await wanjiru.log_in("wanjiru", form["password"])).status_code == 401
        async with ke.state.readers() as session:
            ids = dict((await session.execute(select(Account.username, User.id).join(User))).all())
        async with browser(ke) as mwangi:
            await mwangi.log_in("mwangi")
            listed = await mwangi.get("/admin/signups")
            assert "wanjiru@school.example" in listed.text
            assert 'Wanjiru Kamau <span class="acct">@wanjiru</span>' in listed.text
            approved = await mwangi.submit(
                "/admin/signups", "/admin/signups", {"user": ids["wanjiru"], "decision": "approve"}
            )
            assert approved.status_code == 200
            refused = await mwangi.submit(
                "/admin/signups", "/admin/signups", {"user": ids["spammer"], "decision": "reject"}
            )
            assert refused.status_code == 200
            again = await mwangi.submit(
                "/admin/signups", "/admin/signups", {"user": ids["spammer"], "decision": "reject"}
            )
            assert again.status_code == 404
        async with browser(ke) as wanjiru:
            assert (await wanjiru.log_in("wanjiru", form["password"])).status_code == 303
        assert await count(ke, Account, Account.username == "spammer") == 0


ROSTER = (
    "username,display_name,email,school,subjects,languages\n"
    "neema,Neema Mushi,,Mwenge Primary,maths; science,sw;en\n"
    "baraka,Baraka Otieno,baraka@school.example,Kisumu Girls,English,en\n"
)


async def test_a_roster_upload_creates_accounts_and_shows_the_codes_once(ke: Instance) -> None:
    await make_teacher(ke, "mwangi", role="admin")
    async with browser(ke) as mwangi:
        await mwangi.log_in("mwangi")
        page = await mwangi.get("/admin/roster")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        answer = await mwangi.client.post(
            "/admin/roster",
            data={"csrf_token": token.group(1), "expires_in": "30"},
            files={"roster": ("teachers.csv", ROSTER.encode(), "text/csv")},
        )
        assert answer.status_code == 200, answer.text
        assert "2 teachers imported." in answer.text
        codes = dict(
            re.findall(r"<td>(\w+)</td><td>[^<]*</td><td><code>([A-Z0-9-]+)</code>", answer.text)
        )
        assert set(codes) == {"neema", "baraka"}
        assert "activation_code,activate_at" in answer.text  # the CSV to keep
        # The codes are not shown again.
        assert codes["neema"] not in (await mwangi.get("/admin/roster")).text
    async with browser(ke) as neema:
        activated = await neema.submit(
            "/activate",
            "/activate",
            {
                "username": "neema",
                "code": codes["neema"],
                "password": "nambari na sayansi",
                "password_confirm": "nambari na sayansi",
            },
        )
        assert activated.status_code == 303
        assert "Mwenge Primary" in (await neema.get("/@neema")).text


async def test_a_bad_roster_imports_nobody_and_names_the_line(ke: Instance) -> None:
    await make_teacher(ke, "mwangi", role="admin")
    await speaks(ke, "mwangi", "fr")
    before = await count(ke, Account)
    async with browser(ke) as mwangi:
        await mwangi.log_in("mwangi")
        page = await mwangi.get("/admin/roster")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        bad = await mwangi.client.post(
            "/admin/roster",
            data={"csrf_token": token.group(1), "expires_in": "30"},
            files={"roster": ("t.csv", (ROSTER + "bad name!,x,,,,\n").encode(), "text/csv")},
        )
        days = await mwangi.client.post(
            "/admin/roster",
            data={"csrf_token": token.group(1), "expires_in": "1000"},
            files={"roster": ("t.csv", ROSTER.encode(), "text/csv")},
        )
        huge = await mwangi.client.post(
            "/admin/roster",
            data={"csrf_token": token.group(1), "expires_in": "30"},
            files={"roster": ("t.csv", ROSTER.encode() * 30_000, "text/csv")},
        )
        forged = await mwangi.client.post(
            "/admin/roster",
            data={"expires_in": "30"},
            files={"roster": ("t.csv", ROSTER.encode(), "text/csv")},
        )
    assert bad.status_code == 422
    assert "Ligne 4 :" in bad.text
    assert "Le nom d&#39;utilisateur doit" in bad.text
    assert "Rien n'a été importé" in bad.text
    assert days.status_code == 422
    assert "entre 1 et 365" in days.text
    assert huge.status_code == 413
    assert "Ce fichier est trop volumineux." in huge.text
    assert forged.status_code == 403
    assert await count(ke, Account) == before


async def test_who_creates_communities_and_translation_switch_at_once(ke: Instance) -> None:
    await make_teacher(ke, "mwangi", role="admin")
    amina = await headers(ke, "amina")
    community = {"name": "sayansi", "display_name": "Sayansi"}
    async with browser(ke) as mwangi:
        await mwangi.log_in("mwangi")
        saved = await save_settings(
            mwangi, ke, **{"communities.creation": "admins", "features.translation": ""}
        )
        assert saved.status_code == 200
    refused = await ke.client.post("/api/jamii/v1/communities", data=community, headers=amina)
    assert refused.status_code == 403
    metadata = (await ke.client.get("/nodeinfo/2.1")).json()["metadata"]
    assert metadata["translation"]["enabled"] is False
    assert metadata["features"]["translation"] is False
    async with browser(ke) as mwangi:
        await mwangi.log_in("mwangi")
        await save_settings(mwangi, ke, **{"communities.creation": "teachers"})
    made = await ke.client.post("/api/jamii/v1/communities", data=community, headers=amina)
    assert made.status_code == 200, made.text


async def test_settings_saved_through_one_web_process_reach_the_others_at_once(
    database: Database, tmp_path: Path
) -> None:
    if database.backend != "postgresql":
        pytest.skip("one web process per instance on SQLite: it applies its own saves")
    # Two `jamii serve` processes of one instance, on one database.
    first, second = (
        write_instance(tmp_path / name, code="ke", port=free_port(), database_url=database.url)
        for name in ("first", "second")
    )
    async with serve(first) as one, serve(second) as two:
        async with browser(two) as reader:
            assert (await reader.get("/api/v1/timelines/public")).status_code == 200
        await make_teacher(one, "mwangi", role="admin")
        async with browser(one) as mwangi:
            await mwangi.log_in("mwangi")
            saved = await save_settings(mwangi, one, **{"features.public_timeline": ""})
            assert saved.status_code == 200, saved.text
        # The other process hears of it from the database, without a restart.

        async def switched_off() -> bool:
            return not two.state.config.features.public_timeline

        await eventually(switched_off, wake=[])
        async with browser(two) as reader:
            answer = await reader.get("/api/v1/timelines/public")
        assert answer.status_code == 422  # "This method requires an authenticated user"
