"""The `jamii` command as an operator uses it: real processes, real files, clear failures."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port, write_instance

COMMANDS = [
    [],
    ["serve"],
    ["worker"],
    ["migrate"],
    ["accounts"],
    ["accounts", "create"],
    ["instance"],
    ["instance", "check"],
    ["demo"],
    ["federation"],
    ["federation", "block"],
    ["federation", "list"],
    ["communities"],
    ["communities", "create"],
    ["communities", "list"],
    ["communities", "show"],
    ["invites"],
    ["invites", "create"],
    ["invites", "list"],
    ["roster"],
    ["roster", "import"],
    ["roster", "reissue"],
]


def jamii(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JAMII_")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "fedi", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "jamii")
def test_every_command_has_help(command: list[str]) -> None:
    result = jamii(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_the_shipped_instances_are_valid() -> None:
    for code in ("ke", "sn", "mz", "tz"):
        result = jamii("instance", "check", "--instance", f"instances/{code}")
        assert result.returncode == 0, result.stderr


def test_a_malformed_instance_file_exits_2_naming_file_key_and_problem(tmp_path: Path) -> None:
    folder = tmp_path / "xx"
    folder.mkdir()
    (folder / "instance.toml").write_text(
        'domain = "127.0.0.1:8101"\n[instance]\nname = "X"\ncountry = "KE"\n'
        '[languages]\nprimary = "klingon"\n[registration]\npolicy = "public"\n',
        encoding="utf-8",
    )
    for command in (["instance", "check"], ["serve"], ["migrate"]):
        result = jamii(*command, "--instance", str(folder))
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert any(f"{folder}/instance.toml:languages.primary:" in line for line in lines)
        assert any(f"{folder}/instance.toml:registration.policy:" in line for line in lines)


def test_an_environment_override_problem_names_the_variable(tmp_path: Path) -> None:
    write_instance(tmp_path, code="ke", port=8101, database_url="sqlite:///x.db")
    result = jamii(
        "instance",
        "check",
        "--instance",
        str(tmp_path / "ke"),
        env={"JAMII_LIMITS_POST_LENGTH": "lots"},
    )
    assert result.returncode == 2
    assert "JAMII_LIMITS_POST_LENGTH" in result.stderr


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        ("postgresql+asyncpg://postgres@127.0.0.1:9/none", "cannot use database"),
        ("mysql://root@127.0.0.1/x", "database.url"),
    ],
)
def test_a_wrong_or_unreachable_database_is_one_line(tmp_path: Path, url: str, cause: str) -> None:
    write_instance(tmp_path, code="ke", port=8101, database_url="sqlite:///x.db")
    result = jamii("migrate", "--instance", str(tmp_path / "ke"), env={"JAMII_DATABASE_URL": url})
    assert result.returncode in (1, 2)
    assert cause in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_migrate_create_an_account_and_refuse_a_duplicate(tmp_path: Path) -> None:
    database = tmp_path / "ke.db"
    write_instance(tmp_path, code="ke", port=8101, database_url=f"sqlite+aiosqlite:///{database}")
    folder = str(tmp_path / "ke")

    unmigrated = jamii(
        "accounts",
        "create",
        "amina",
        "--email",
        "a@ke.example",
        "--password",
        "fractions!",
        "--instance",
        folder,
    )
    assert unmigrated.returncode == 1
    assert "jamii migrate" in unmigrated.stderr

    assert jamii("migrate", "--instance", folder).returncode == 0
    created = jamii(
        "accounts",
        "create",
        "amina",
        "--email",
        "a@ke.example",
        "--password",
        "fractions!",
        "--admin",
        "--instance",
        folder,
    )
    assert created.returncode == 0, created.stderr
    assert "created admin @amina@127.0.0.1:8101" in created.stdout

    again = jamii(
        "accounts",
        "create",
        "Amina",
        "--email",
        "b@ke.example",
        "--password",
        "fractions!",
        "--instance",
        folder,
    )
    assert again.returncode == 1
    assert "username: Username is already taken" in again.stderr
    short = jamii(
        "accounts",
        "create",
        "baraka",
        "--email",
        "b@ke.example",
        "--password",
        "short",
        "--instance",
        folder,
    )
    assert short.returncode == 1
    assert "password" in short.stderr


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    write_instance(
        tmp_path,
        code="ke",
        port=free_port(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
    )
    result = jamii("serve", "--instance", str(tmp_path / "ke"))
    assert result.returncode == 1
    assert "run `jamii migrate" in result.stderr


def test_seeding_logs_no_post_text_and_no_password(tmp_path: Path) -> None:
    """Teachers' posts must not end up in an operator's logs (seeding posts several)."""
    for code in ("ke",):
        folder = tmp_path / code
        folder.mkdir()
        source = Path("instances") / code / "instance.toml"
        (folder / "instance.toml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    result = jamii("demo", "--instances-dir", str(tmp_path), "--only", "ke", "--no-serve")
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "paper strips" not in output
    assert "jamii-demo-2026" not in output
    database = tmp_path / "ke" / "data" / "jamii.db"
    assert database.exists()
    # Amina's demo question to colleagues is a poll with its three answers.
    with sqlite3.connect(database) as connection:
        [(options,)] = connection.execute("SELECT options FROM polls").fetchall()
    assert json.loads(options) == ["Phonics", "Whole language", "Shared reading"]
    # No model in the demo's models folder: the notice says how to install them.
    assert "translation models not installed: run jamii translation install en fr pt" in output


def test_an_operator_blocks_allows_and_lists_servers(tmp_path: Path) -> None:
    database = tmp_path / "ke.db"
    write_instance(tmp_path, code="ke", port=8101, database_url=f"sqlite+aiosqlite:///{database}")
    folder = str(tmp_path / "ke")
    assert jamii("migrate", "--instance", folder).returncode == 0

    blocked = jamii(
        "federation", "block", "Spam.Example.", "--reason", "spam", "--instance", folder
    )
    assert blocked.returncode == 0, blocked.stderr
    assert jamii("federation", "allow", "sn.example", "--instance", folder).returncode == 0
    listing = jamii("federation", "list", "--instance", folder)
    assert "policy: open" in listing.stdout
    assert "block  spam.example  (spam)" in listing.stdout
    assert "allow  sn.example" in listing.stdout

    assert jamii("federation", "unblock", "spam.example", "--instance", folder).returncode == 0
    assert "spam.example" not in jamii("federation", "list", "--instance", folder).stdout
    bad = jamii("federation", "block", "https://x.example/path", "--instance", folder)
    assert bad.returncode == 2
    assert "not a domain" in bad.stderr


def test_keys_of_the_libretranslate_api_are_made_listed_and_revoked(tmp_path: Path) -> None:
    database = tmp_path / "ke.db"
    write_instance(tmp_path, code="ke", port=8101, database_url=f"sqlite+aiosqlite:///{database}")
    folder = str(tmp_path / "ke")
    assert jamii("migrate", "--instance", folder).returncode == 0
    made = jamii("translation", "keys", "add", "mastodon.example", "--instance", folder)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert len(key) >= 40
    assert "the API is off" in made.stderr  # [translation] libretranslate_api is false
    again = jamii("translation", "keys", "add", "mastodon.example", "--instance", folder)
    assert again.returncode == 1
    assert "already a key named mastodon.example" in again.stderr
    listed = jamii("translation", "keys", "list", "--instance", folder)
    assert "mastodon.example" in listed.stdout
    assert key not in listed.stdout + database.read_bytes().decode("latin-1")  # hash only
    assert (
        jamii("translation", "keys", "remove", "mastodon.example", "--instance", folder).returncode
        == 0
    )
    gone = jamii("translation", "keys", "remove", "mastodon.example", "--instance", folder)
    assert (gone.returncode, gone.stderr.strip()) == (1, "error: no key named mastodon.example")
