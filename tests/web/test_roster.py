"""The ministry imports its teachers with `jamii roster import`; each teacher activates her
account on the page with the code handed to her, and chooses a password. No e-mail."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from fedi.db.base import utcnow
from fedi.db.models import Account, ActivationCode, TeacherProfile
from tests.cli.test_cli import jamii
from tests.servers import Instance
from tests.web.browser import browser

ROSTER = (
    "username,display_name,email,school,subjects,languages\n"
    "neema,Neema Mushi,,Mwenge Primary,maths; science,sw;en\n"
    "baraka,Baraka Otieno,baraka@school.example,Kisumu Girls,English,en\n"
)


async def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in a thread: the served instance shares this event loop and must keep
    answering (and committing) while the command waits for the database."""
    return await asyncio.to_thread(jamii, *args)


async def import_roster(instance: Instance, tmp_path: Path, text: str = ROSTER) -> dict[str, str]:
    source = tmp_path / "teachers.csv"
    source.write_text(text, encoding="utf-8")
    result = await run(
        "roster", "import", "--instance", str(instance.config.instance_dir), str(source)
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    return {row["username"]: row["activation_code"] for row in rows}


async def accounts_count(instance: Instance) -> int:
    async with instance.state.readers() as session:
        return int(await session.scalar(select(func.count()).select_from(Account)) or 0)


async def test_imported_teachers_activate_with_their_code(ke: Instance, tmp_path: Path) -> None:
    codes = await import_roster(ke, tmp_path)
    assert set(codes) == {"neema", "baraka"}
    async with ke.state.readers() as session:
        neema = await session.scalar(select(Account).where(Account.username == "neema"))
        assert neema is not None
        profile = await session.get(TeacherProfile, neema.id)
    assert profile is not None
    assert profile.school == "Mwenge Primary"
    assert profile.subjects == ["maths", "science"]
    assert profile.languages == ["sw", "en"]
    async with browser(ke, **{"Accept-Language": "sw"}) as phone:
        before = await phone.log_in("neema", "anything at all")
        assert before.status_code == 401  # not activated: no password works
        activated = await phone.submit(
            "/activate",
            "/activate",
            {
                "username": "neema",
                "code": codes["neema"].lower(),
                "password": "nambari na sayansi",
                "password_confirm": "nambari na sayansi",
            },
        )
        assert activated.status_code == 303, activated.text
        assert activated.headers["location"] == "/settings"
        settings = await phone.get("/settings")
        assert settings.status_code == 200
        assert 'lang="sw"' in settings.text  # her first roster language
        page = await phone.get("/@neema")
    assert "Mwenge Primary" in page.text
    assert "Kiswahili, English" in page.text
    async with browser(ke) as again:
        assert (await again.log_in("neema", "nambari na sayansi")).status_code == 303


async def test_a_spent_code_says_so(ke: Instance, tmp_path: Path) -> None:
    codes = await import_roster(ke, tmp_path)
    form = {
        "username": "baraka",
        "code": codes["baraka"],
        "password": "a good long password",
        "password_confirm": "a good long password",
    }
    async with browser(ke) as first:
        assert (await first.submit("/activate", "/activate", form)).status_code == 303
    async with browser(ke, **{"Accept-Language": "pt"}) as second:
        again = await second.submit("/activate", "/activate", form)
    assert again.status_code == 422
    assert "Este código de ativação já foi usado." in again.text


async def test_an_expired_code_says_so_and_how_to_get_a_new_one(
    ke: Instance, tmp_path: Path
) -> None:
    codes = await import_roster(ke, tmp_path)
    async with ke.state.sessions() as session, session.begin():
        await session.execute(
            update(ActivationCode).values(expires_at=utcnow() - timedelta(minutes=1))
        )
    form = {
        "username": "neema",
        "code": codes["neema"],
        "password": "nambari na sayansi",
        "password_confirm": "nambari na sayansi",
    }
    async with browser(ke, **{"Accept-Language": "fr"}) as phone:
        expired = await phone.submit("/activate", "/activate", form)
        assert expired.status_code == 422
        assert "Ce code d&#39;activation a expiré." in expired.text
        assert "jamii roster reissue" in expired.text
        assert (await phone.log_in("neema", form["password"])).status_code == 401
        reissued = await run(
            "roster", "reissue", "--instance", str(ke.config.instance_dir), "neema"
        )
        assert reissued.returncode == 0, reissued.stderr
        fresh = reissued.stdout.split()[1]
        old = await phone.submit("/activate", "/activate", form)
        assert old.status_code == 422  # the old code stays dead
        ok = await phone.submit("/activate", "/activate", {**form, "code": fresh})
    assert ok.status_code == 303


async def test_a_wrong_code_or_username_gets_one_answer(ke: Instance, tmp_path: Path) -> None:
    codes = await import_roster(ke, tmp_path)
    async with browser(ke) as guesser:
        wrong_code = await guesser.submit(
            "/activate",
            "/activate",
            {
                "username": "neema",
                "code": "AAAA-BBBB-CCCC",
                "password": "p" * 10,
                "password_confirm": "p" * 10,
            },
        )
        wrong_user = await guesser.submit(
            "/activate",
            "/activate",
            {
                "username": "baraka",
                "code": codes["neema"],
                "password": "p" * 10,
                "password_confirm": "p" * 10,
            },
        )
    for answer in (wrong_code, wrong_user):
        assert answer.status_code == 422
        assert "This username and code do not match." in answer.text
    async with ke.state.readers() as session:
        spent = await session.scalar(
            select(func.count())
            .select_from(ActivationCode)
            .where(ActivationCode.used_at.is_not(None))
        )
    assert spent == 0


async def test_a_bad_row_imports_nobody_and_names_its_line(ke: Instance, tmp_path: Path) -> None:
    source = tmp_path / "teachers.csv"
    source.write_text(ROSTER + "bad name!,Someone,,,,\n", encoding="utf-8")
    result = await run("roster", "import", "--instance", str(ke.config.instance_dir), str(source))
    assert result.returncode == 1
    assert "line 4" in result.stderr
    assert "username" in result.stderr
    assert await accounts_count(ke) == 0
    strange = tmp_path / "strange.csv"
    strange.write_text("name,school\nneema,Mwenge\n", encoding="utf-8")
    header = await run("roster", "import", "--instance", str(ke.config.instance_dir), str(strange))
    assert header.returncode == 1
    assert "username is required" in header.stderr


async def test_invites_from_the_command_line(ke: Instance) -> None:
    made = await run(
        "invites",
        "create",
        "--instance",
        str(ke.config.instance_dir),
        "--uses",
        "5",
        "--expires-in",
        "7",
    )
    assert made.returncode == 0, made.stderr
    code, link = made.stdout.split()
    assert link == f"{ke.url}/invite/{code}"
    async with browser(ke) as wanjiru:
        assert (await wanjiru.get(f"/invite/{code}")).status_code == 200
    listed = await run("invites", "list", "--instance", str(ke.config.instance_dir))
    assert code in listed.stdout
    assert "uses 0/5" in listed.stdout
    refused = await run(
        "invites", "create", "--instance", str(ke.config.instance_dir), "--expires-in", "0"
    )
    assert refused.returncode == 1
    assert "Expiry must be between 1 and 365 days" in refused.stderr
