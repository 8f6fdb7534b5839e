"""Instance configuration: the shipped instances, defaults, overrides and problem reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedi.config import (
    ConfigError,
    InstanceConfig,
    Problem,
    check_config,
    load_config,
)

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """
domain = "jamii.example.org"
[instance]
name = "Test Teachers"
country = "ke"
[languages]
primary = "en"
"""


def write_instance(root: Path, text: str, code: str = "zz") -> Path:
    folder = root / code
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.toml").write_text(text, encoding="utf-8")
    return folder


def found(problems: list[Problem]) -> set[tuple[str, str]]:
    """(source, key) pairs, enough to say which file or variable is blamed for which key."""
    return {(problem.source, problem.key) for problem in problems}


def only_problem(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# The shipped demo instances


@pytest.mark.parametrize(
    ("code", "language", "policy"),
    [
        ("ke", "en", "approval"),
        ("sn", "fr", "invite"),
        ("mz", "pt", "roster"),
        ("tz", "sw", "open"),
    ],
)
def test_each_shipped_demo_instance_loads_cleanly(code: str, language: str, policy: str) -> None:
    folder = REPO / "instances" / code
    assert check_config(folder, environ={}) == []
    config = load_config(folder, environ={})
    assert config.code == code
    assert config.instance.country == code.upper()
    assert config.languages.primary == language
    assert set(config.languages.supported) == {"en", "fr", "pt", "sw"}
    assert config.registration.policy == policy
    # Loopback demo: plain http, and each instance's SQLite file in its own data folder.
    assert config.dev_insecure
    assert config.base_url.startswith("http://127.0.0.1:810")
    assert config.database_url == f"sqlite+aiosqlite:///{folder / 'data' / 'jamii.db'}"


# Defaults


def test_a_minimal_file_gets_safe_defaults(tmp_path: Path) -> None:
    folder = write_instance(tmp_path, MINIMAL)
    config = load_config(folder, environ={})
    assert config.instance_dir == folder.resolve()
    assert config.data_dir == folder.resolve() / "data"
    assert config.database_url == f"sqlite+aiosqlite:///{folder.resolve() / 'data' / 'jamii.db'}"
    assert config.is_sqlite
    assert config.in_process_worker is True
    assert config.dev_insecure is False
    assert config.base_url == "https://jamii.example.org"
    assert config.instance.country == "KE"
    assert config.registration.policy == "approval"
    assert config.federation.policy == "open"
    assert config.features.open_registration
    assert config.features.translation
    assert (config.limits.post_length, config.limits.media_size_mb) == (5000, 16)
    assert config.branding.primary_color == "#1f6f5c"
    assert (config.server.host, config.server.port) == ("127.0.0.1", 8000)
    assert config.languages.detect == ["en", "fr", "pt", "sw"]


def test_a_relative_data_dir_lives_inside_the_instance_folder(tmp_path: Path) -> None:
    folder = write_instance(tmp_path, 'data_dir = "state/files"\n' + MINIMAL)
    config = load_config(folder, environ={})
    assert config.data_dir == folder.resolve() / "state" / "files"
    assert config.database_url.endswith("/state/files/jamii.db")


def test_a_postgresql_instance_runs_its_workers_separately(tmp_path: Path) -> None:
    text = MINIMAL + '[database]\nurl = "postgres://jamii@db.internal/jamii_ke"\n'
    config = load_config(write_instance(tmp_path, text), environ={})
    assert config.database_url == "postgresql+asyncpg://jamii@db.internal/jamii_ke"
    assert not config.is_sqlite
    assert config.in_process_worker is False


def test_an_explicit_worker_choice_beats_the_database_default(tmp_path: Path) -> None:
    text = MINIMAL + '[database]\nurl = "postgresql://db/x"\n[jobs]\nin_process_worker = true\n'
    assert load_config(write_instance(tmp_path, text), environ={}).in_process_worker is True


def test_domains_are_stored_in_their_idna_lower_case_form(tmp_path: Path) -> None:
    text = MINIMAL.replace("jamii.example.org", "Walimu.Ünï.Example.:8443") + (
        '[federation]\npolicy = "blocklist"\nblocked_domains = ["Spam.Example.", "spam.example"]\n'
    )
    config = load_config(write_instance(tmp_path, text), environ={})
    assert config.domain == "walimu.xn--n-nga1b.example:8443"
    assert config.federation.blocked_domains == ["spam.example"]


def test_an_existing_logo_resolves_inside_the_instance_folder(tmp_path: Path) -> None:
    folder = write_instance(tmp_path, MINIMAL + '[branding]\nlogo = "logo.png"\n')
    (folder / "logo.png").write_bytes(b"\x89PNG")
    assert load_config(folder, environ={}).branding.logo == folder.resolve() / "logo.png"


# Environment overrides


def test_an_operator_overrides_the_file_from_the_environment(tmp_path: Path) -> None:
    environ = {
        "JAMII_DATABASE_URL": "postgresql://jamii@127.0.0.1:5432/test",
        "JAMII_DOMAIN": "walimu.go.example",
        "JAMII_DEV_INSECURE": "On",
        "JAMII_DATA_DIR": "var",
        "JAMII_LIMITS_POST_LENGTH": "800",
        "JAMII_FEATURES_TRANSLATION": "0",
        "JAMII_FEDERATION_BLOCKED_DOMAINS": "Spam.Example, bad.org,",
        "JAMII_LANGUAGES_BRIDGED": "sw,fr",
    }
    folder = write_instance(tmp_path, MINIMAL)
    config = load_config(folder, environ=environ)
    assert config.database_url == "postgresql+asyncpg://jamii@127.0.0.1:5432/test"
    assert config.base_url == "http://walimu.go.example"
    assert config.data_dir == folder.resolve() / "var"
    assert config.limits.post_length == 800
    assert config.features.translation is False
    assert config.federation.blocked_domains == ["spam.example", "bad.org"]
    assert config.languages.bridged == ["sw", "fr"]


def test_other_jamii_variables_are_not_mistaken_for_overrides(tmp_path: Path) -> None:
    environ = {
        "JAMII_TEST_POSTGRES_URL": "postgresql://127.0.0.1/test",
        "JAMII_INSTANCE": "instances/ke",
        "JAMII_FEATURES_NOT_A_SWITCH": "1",
    }
    assert check_config(write_instance(tmp_path, MINIMAL), environ=environ) == []


def test_a_sqlite_url_from_the_environment_gets_the_async_driver(tmp_path: Path) -> None:
    environ = {"JAMII_DATABASE_URL": "sqlite:////srv/jamii/ke.db"}
    config = load_config(write_instance(tmp_path, MINIMAL), environ=environ)
    assert config.database_url == "sqlite+aiosqlite:////srv/jamii/ke.db"


def test_a_bad_boolean_override_blames_the_variable(tmp_path: Path) -> None:
    environ = {"JAMII_FEATURES_BADGES": "maybe"}
    problem = only_problem(check_config(write_instance(tmp_path, MINIMAL), environ=environ))
    assert (problem.source, problem.key) == ("environment JAMII_FEATURES_BADGES", "features.badges")
    assert "1, 0, true, false, yes, no, on, off" in problem.message
    assert "'maybe'" in problem.message


def test_a_bad_number_override_blames_the_variable_and_gives_the_range(tmp_path: Path) -> None:
    environ = {"JAMII_LIMITS_MAX_ATTACHMENTS": "lots"}
    problem = only_problem(check_config(write_instance(tmp_path, MINIMAL), environ=environ))
    assert str(problem) == (
        "environment JAMII_LIMITS_MAX_ATTACHMENTS:limits.max_attachments: "
        "must be an integer between 1 and 20 (got 'lots')"
    )


def test_os_environ_is_read_when_no_mapping_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAMII_SERVER_PORT", "9100")
    assert load_config(write_instance(tmp_path, MINIMAL)).server.port == 9100


# Problems with the file itself


def test_a_missing_folder_or_file_is_named(tmp_path: Path) -> None:
    assert only_problem(check_config(tmp_path / "nowhere", environ={})).source == str(
        tmp_path / "nowhere"
    )
    (tmp_path / "empty").mkdir()
    problem = only_problem(check_config(tmp_path / "empty", environ={}))
    assert (problem.source, problem.key) == (str(tmp_path / "empty" / "instance.toml"), "")
    assert problem.message == "file not found"


def test_malformed_toml_reports_the_file_and_line(tmp_path: Path) -> None:
    folder = write_instance(tmp_path, 'domain = "a.example"\n[instance]\nname = \n')
    problem = only_problem(check_config(folder, environ={}))
    assert problem.source == str(folder / "instance.toml")
    assert problem.key == ""
    assert "line 3" in problem.message
    assert str(problem).startswith(f"{folder / 'instance.toml'}: invalid TOML: ")


def test_problems_name_the_file_as_the_operator_typed_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_instance(tmp_path / "instances", "colour = 3\n" + MINIMAL, code="ke")
    monkeypatch.chdir(tmp_path)
    problem = only_problem(check_config("instances/ke", environ={}))
    assert str(problem) == "instances/ke/instance.toml:colour: unknown key"


# Problems with keys and values


def with_line(table: str, line: str) -> str:
    """MINIMAL with ``line`` added to ``[table]`` (top level when ``table`` is "")."""
    if not table:
        return f"{line}\n{MINIMAL}"
    header = f"[{table}]"
    if header in MINIMAL:
        return MINIMAL.replace(header, f"{header}\n{line}")
    return f"{MINIMAL}{header}\n{line}\n"


@pytest.mark.parametrize(
    ("table", "line", "key", "message"),
    [
        ("instance", 'nmae = "x"', "instance.nmae", "unknown key (did you mean 'name'?)"),
        (
            "registration",
            'policy = "public"',
            "registration.policy",
            "must be one of open, approval, invite, roster (got 'public')",
        ),
        ("limits", 'post_length = "long"', "limits.post_length", "must be an integer between"),
        ("limits", "post_length = 0", "limits.post_length", "between 1 and 100000 (got 0)"),
        ("", 'dev_insecure = "yes"', "dev_insecure", "must be true or false (got 'yes')"),
        ("server", "port = 70000", "server.port", "between 1 and 65535 (got 70000)"),
        ("branding", 'primary_color = "green"', "branding.primary_color", "#RRGGBB"),
        ("branding", 'logo = "ministry.svg"', "branding.logo", "file not found: ministry.svg"),
        ("database", 'url = "mysql://root:hunter2@db/x"', "database.url", "(got scheme 'mysql')"),
        ("languages", "bridged = ['sw', 'sw']", "languages.bridged", "sw more than once"),
        ("languages", "bridged = ['sw', 'de']", "languages.bridged", "entry 2: must be one of"),
        ("languages", "detect = ['sw']", "languages.detect", "at least two languages"),
        ("languages", "detect = ['en', 'en', 'fr']", "languages.detect", "en more than once"),
        (
            "federation",
            'policy = "allowlist"',
            "federation.allowed_domains",
            "needs at least one allowed domain",
        ),
        (
            "federation",
            'blocked_domains = ["a.org"]\nallowed_domains = ["A.org."]',
            "federation.allowed_domains",
            "a.org also in blocked_domains",
        ),
        ("jobs", "concurrency = 2.5", "jobs.concurrency", "must be an integer between 1 and 128"),
        ("features", 'badges = "no"', "features.badges", "must be true or false (got 'no')"),
        ("instance", "description = 7", "instance.description", "must be a string (got 7)"),
        ("", 'registration = "open"', "registration", "must be a table (got 'open')"),
    ],
)
def test_a_mistake_is_reported_against_its_dotted_key(
    tmp_path: Path, table: str, line: str, key: str, message: str
) -> None:
    folder = write_instance(tmp_path, with_line(table, line))
    problem = only_problem(check_config(folder, environ={}))
    assert (problem.source, problem.key) == (str(folder / "instance.toml"), key)
    assert message in problem.message
    assert "hunter2" not in problem.message


def test_the_primary_language_cannot_also_be_bridged(tmp_path: Path) -> None:
    text = MINIMAL.replace('primary = "en"', 'primary = "en"\nbridged = ["sw", "en"]')
    problem = only_problem(check_config(write_instance(tmp_path, text), environ={}))
    assert problem.key == "languages.bridged"
    assert problem.message == "must not contain the primary language (en)"


@pytest.mark.parametrize(
    "domain",
    ["https://jamii.example.org", "jamii.example.org/path", "jamii.example.org:0", "bad_host.org"],
)
def test_a_domain_is_a_bare_host_and_port(tmp_path: Path, domain: str) -> None:
    text = MINIMAL.replace("jamii.example.org", domain)
    assert only_problem(check_config(write_instance(tmp_path, text), environ={})).key == "domain"


def test_missing_required_keys_are_each_reported(tmp_path: Path) -> None:
    folder = write_instance(tmp_path, '[instance]\ncountry = "SN"\n')
    problems = check_config(folder, environ={})
    source = str(folder / "instance.toml")
    assert found(problems) == {(source, "domain"), (source, "instance.name"), (source, "languages")}
    messages = {problem.key: problem.message for problem in problems}
    assert messages["instance.name"] == "required key is missing"
    assert messages["languages"] == "required table [languages] is missing"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = """
domain = "ftp://x"
[instance]
name = "Bad"
country = "XX"
[languages]
primary = "de"
[registration]
policy = "public"
"""
    folder = write_instance(tmp_path, text)
    environ = {"JAMII_DEV_INSECURE": "perhaps"}
    with pytest.raises(ConfigError) as raised:
        load_config(folder, environ=environ)
    source = str(folder / "instance.toml")
    assert found(raised.value.problems) == {
        ("environment JAMII_DEV_INSECURE", "dev_insecure"),
        (source, "domain"),
        (source, "instance.country"),
        (source, "languages.primary"),
        (source, "registration.policy"),
    }
    lines = str(raised.value).splitlines()
    assert lines == [str(problem) for problem in raised.value.problems]


def test_the_folder_decides_instance_dir_not_the_file(tmp_path: Path) -> None:
    folder = write_instance(tmp_path, 'instance_dir = "/etc"\n' + MINIMAL)
    problem = only_problem(check_config(folder, environ={}))
    assert (problem.key, problem.message) == ("instance_dir", "unknown key")


def test_a_problem_reads_file_key_message() -> None:
    assert str(Problem("instances/ke/instance.toml", "languages.primary", "x")) == (
        "instances/ke/instance.toml:languages.primary: x"
    )
    assert str(Problem("instances/ke/instance.toml", "", "file not found")) == (
        "instances/ke/instance.toml: file not found"
    )


def test_code_can_build_a_config_directly(tmp_path: Path) -> None:
    # Other tests construct configs without a file; the defaults must resolve the same way.
    config = InstanceConfig.model_validate(
        {
            "instance_dir": tmp_path / "ke",
            "domain": "127.0.0.1:8101",
            "dev_insecure": True,
            "instance": {"name": "Kenya", "country": "KE"},
            "languages": {"primary": "en", "bridged": ["sw"]},
        }
    )
    assert config.code == "ke"
    assert config.database_url == f"sqlite+aiosqlite:///{tmp_path / 'ke' / 'data' / 'jamii.db'}"


def test_email_verification_is_refused_while_jamii_sends_no_email(tmp_path: Path) -> None:
    folder = write_instance(tmp_path, MINIMAL + "[registration]\nemail_verification = true\n")
    with pytest.raises(ConfigError) as raised:
        load_config(folder, environ={})
    assert "cannot send e-mail yet" in str(raised.value)
    assert "registration.email_verification" in str(raised.value)
