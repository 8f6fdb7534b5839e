"""The shape of ``instances/<code>/instance.toml``: one pydantic model per TOML table.

Every model forbids unknown keys (a misspelt key is a problem, not a silent default) and is
frozen. Scalars are strict, so ``dev_insecure = "yes"`` in TOML is refused rather than
guessed at; environment overrides are converted to real types before they get here (see
``fedi.config.environment``). Docs: ``docs/configuration.md``; keep the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
)

from fedi.config.normalise import (
    SQLITE_SCHEME,
    check_email,
    normalise_color,
    normalise_country,
    normalise_database_url,
    normalise_domain,
    normalise_domains,
)

Language = Literal["en", "fr", "pt", "sw"]
LANGUAGES: tuple[Language, ...] = ("en", "fr", "pt", "sw")
RegistrationPolicy = Literal["open", "approval", "invite", "roster"]
FederationPolicy = Literal["open", "blocklist", "allowlist"]
CommunityCreation = Literal["teachers", "moderators", "admins"]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class InstanceSettings(_Table):
    """``[instance]``: who runs this instance."""

    name: StrictStr = Field(min_length=1, max_length=100)
    country: StrictStr
    description: StrictStr = ""
    contact_email: StrictStr = ""

    _country = field_validator("country")(normalise_country)
    _email = field_validator("contact_email")(check_email)


class BrandingSettings(_Table):
    """``[branding]``: how the instance's pages look."""

    primary_color: StrictStr = "#1f6f5c"
    tagline: StrictStr = ""
    logo: Path | None = None

    _color = field_validator("primary_color")(normalise_color)

    @field_validator("logo")
    @classmethod
    def _logo_exists(cls, logo: Path | None, info: ValidationInfo) -> Path | None:
        # Only the loader knows the folder on disk; it passes it as validation context.
        base = info.context.get("instance_dir") if isinstance(info.context, dict) else None
        if logo is not None and isinstance(base, Path) and not (base / logo).is_file():
            raise ValueError(f"file not found: {logo} (relative to the instance folder)")
        return logo


class LanguageSettings(_Table):
    """``[languages]``: the instance's own language and those translation bridges to."""

    primary: Language
    bridged: list[Language] = Field(default_factory=list, validate_default=True)
    # Which languages a post without one (or with only a client's default) may be detected
    # as: all of Jamii's by default, since posts arrive from every country's instance.
    detect: list[Language] = Field(default_factory=lambda: list(LANGUAGES))

    @field_validator("bridged")
    @classmethod
    def _distinct(cls, bridged: list[Language], info: ValidationInfo) -> list[Language]:
        repeated = sorted({code for code in bridged if bridged.count(code) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once")
        primary = info.data.get("primary")
        if primary in bridged:
            raise ValueError(f"must not contain the primary language ({primary})")
        return bridged

    @field_validator("detect")
    @classmethod
    def _detectable(cls, detect: list[Language]) -> list[Language]:
        repeated = sorted({code for code in detect if detect.count(code) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once")
        if len(detect) < 2:
            raise ValueError("needs at least two languages to choose between")
        return detect

    @property
    def supported(self) -> tuple[Language, ...]:
        """The primary language first, then the bridged ones."""
        return (self.primary, *self.bridged)


class RegistrationSettings(_Table):
    """``[registration]``: how teachers get an account."""

    policy: RegistrationPolicy = "approval"
    email_verification: StrictBool = False

    @field_validator("email_verification")
    @classmethod
    def _no_mailer_yet(cls, verify: bool) -> bool:
        # Accounts would wait forever for a message nobody sends: refuse to start instead.
        if verify:
            raise ValueError(
                "Jamii cannot send e-mail yet, so addresses cannot be verified; set it to "
                "false (invites and roster activation codes need no e-mail)"
            )
        return verify


class FeatureSettings(_Table):
    """``[features]``: switches a ministry can turn off.

    ``open_registration = false`` closes sign-up whatever ``registration.policy`` says;
    admins and roster imports still create accounts.
    """

    translation: StrictBool = True
    resources: StrictBool = True
    badges: StrictBool = True
    public_timeline: StrictBool = True
    open_registration: StrictBool = True
    federation: StrictBool = True


class CommunitySettings(_Table):
    """``[communities]``: who may create communities of practice (the CLI always may)."""

    creation: CommunityCreation = "teachers"


class FederationSettings(_Table):
    """``[federation]``: which other servers this instance talks to."""

    policy: FederationPolicy = "open"
    blocked_domains: list[StrictStr] = Field(default_factory=list)
    allowed_domains: list[StrictStr] = Field(default_factory=list, validate_default=True)

    _blocked = field_validator("blocked_domains")(normalise_domains)

    @field_validator("allowed_domains")
    @classmethod
    def _allowed(cls, domains: list[str], info: ValidationInfo) -> list[str]:
        allowed = normalise_domains(domains)
        if info.data.get("policy") == "allowlist" and not allowed:
            raise ValueError("the allowlist policy needs at least one allowed domain")
        both = sorted(set(allowed) & set(info.data.get("blocked_domains", ())))
        if both:
            raise ValueError(f"{', '.join(both)} also in blocked_domains; choose one list")
        return allowed


class LimitSettings(_Table):
    """``[limits]``: sizes the instance accepts."""

    post_length: StrictInt = Field(default=5000, ge=1, le=100_000)
    media_size_mb: StrictInt = Field(default=16, ge=1, le=1024)
    max_attachments: StrictInt = Field(default=4, ge=1, le=20)


class DatabaseSettings(_Table):
    """``[database]``: where the data lives. An empty ``url`` means SQLite in ``data_dir``."""

    url: StrictStr = ""

    _driver = field_validator("url")(normalise_database_url)


class ServerSettings(_Table):
    """``[server]``: where ``jamii serve`` listens unless told otherwise."""

    host: StrictStr = Field(default="127.0.0.1", min_length=1)
    port: StrictInt = Field(default=8000, ge=1, le=65535)


class JobSettings(_Table):
    """``[jobs]``: the background workers (deliveries, translations, fetches)."""

    in_process_worker: StrictBool | None = None
    # Jobs are mostly network waits (deliveries): one post to 50 servers is 50 jobs at once,
    # handed to the free slots of the worker that built them (fedi.jobs.handover). With 32,
    # 19 of those 50 waited for claims: 68-95 ms to the last 2xx instead of 54-80 ms
    # (benchmarks/fanout.py, PostgreSQL).
    concurrency: StrictInt = Field(default=64, ge=1, le=128)

    def runs_in_process(self, *, is_sqlite: bool) -> bool:
        """Resolve the default: SQLite has one writer, so its worker lives in the web process;
        on PostgreSQL workers are separate ``jamii worker`` processes."""
        return is_sqlite if self.in_process_worker is None else self.in_process_worker


TranslationEngineName = Literal["argos", "libretranslate"]


def _argos_only() -> list[TranslationEngineName]:
    return ["argos"]


class TranslationSettings(_Table):
    """``[translation]``: the engine chain, eager translation, and the LibreTranslate API.

    The languages translated into are ``[languages]`` (primary and bridged); these keys say
    how. ``features.translation = false`` turns all of it off. See docs/translation.md.
    """

    engines: list[TranslationEngineName] = Field(default_factory=_argos_only, min_length=1)
    # Translate public posts into the instance's languages as soon as they are posted (a job
    # queued with the post); off, every rendition is made when a reader first asks.
    eager: StrictBool = True
    # A new public post's delivery waits up to this many seconds for its eager translations,
    # so other servers receive them with it (and need not translate again); 0: never wait.
    federation_wait: float = Field(default=10.0, ge=0, le=300)
    # Where the Argos packages live; empty: ``<data_dir>/translation``. Servers of one
    # process (the demo) or one machine may share a folder.
    models_dir: Path | None = None
    index_url: StrictStr = ""
    workers: StrictInt = Field(default=1, ge=1, le=64)
    intra_threads: StrictInt = Field(default=1, ge=1, le=64)
    beam_size: StrictInt = Field(default=1, ge=1, le=16)
    max_batch: StrictInt = Field(default=64, ge=1, le=4096)
    max_queued: StrictInt = Field(default=5000, ge=1, le=1_000_000)
    timeout: float = Field(default=60.0, gt=0, le=3600)
    max_loaded_models: StrictInt = Field(default=4, ge=1, le=64)
    libretranslate_url: StrictStr = ""
    libretranslate_api_key: StrictStr = ""
    libretranslate_timeout: float = Field(default=30.0, gt=0, le=600)
    # Serve a LibreTranslate-compatible API (/translate, /languages, /detect) to neighbours.
    libretranslate_api: StrictBool = False
    # Keys neighbours send as ``api_key`` (CLI-managed keys are added to these).
    api_keys: list[StrictStr] = Field(default_factory=list)
    # Requests per minute per key on the LibreTranslate-compatible API.
    api_rate_limit: StrictInt = Field(default=60, ge=1, le=100_000)

    @field_validator("libretranslate_url")
    @classmethod
    def _url(cls, url: str) -> str:
        if url and not url.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return url.rstrip("/")

    @field_validator("libretranslate_url", mode="after")
    @classmethod
    def _needed(cls, url: str, info: ValidationInfo) -> str:
        if "libretranslate" in info.data.get("engines", ()) and not url:
            raise ValueError("is needed when engines lists libretranslate")
        return url

    @field_validator("engines")
    @classmethod
    def _distinct_engines(cls, engines: list[TranslationEngineName]) -> list[TranslationEngineName]:
        if len(set(engines)) != len(engines):
            raise ValueError("lists an engine more than once")
        return engines


class InstanceConfig(_Table):
    """One instance's whole configuration, as loaded by ``fedi.config.load_config``.

    ``instance_dir`` is the folder holding ``instance.toml`` (the loader supplies it; it is
    not a key of the file). Relative paths in the file resolve against it.
    """

    instance_dir: Path
    domain: StrictStr
    data_dir: Path = Field(default=Path("data"), validate_default=True)
    dev_insecure: StrictBool = False
    instance: InstanceSettings
    branding: BrandingSettings = Field(default_factory=BrandingSettings, validate_default=True)
    languages: LanguageSettings
    registration: RegistrationSettings = Field(default_factory=RegistrationSettings)
    features: FeatureSettings = Field(default_factory=FeatureSettings)
    federation: FederationSettings = Field(default_factory=FederationSettings)
    communities: CommunitySettings = Field(default_factory=CommunitySettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings, validate_default=True)
    server: ServerSettings = Field(default_factory=ServerSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    translation: TranslationSettings = Field(default_factory=TranslationSettings)

    _domain = field_validator("domain")(normalise_domain)

    @field_validator("instance_dir")
    @classmethod
    def _absolute_instance_dir(cls, instance_dir: Path) -> Path:
        return instance_dir.expanduser().resolve()

    # The validators below read fields declared earlier (pydantic validates in declaration
    # order); when such a field was itself invalid it is absent and its problem is reported.

    @field_validator("data_dir")
    @classmethod
    def _resolve_data_dir(cls, data_dir: Path, info: ValidationInfo) -> Path:
        base: Path = info.data.get("instance_dir", Path.cwd())
        return (base / data_dir.expanduser()).resolve()

    @field_validator("branding")
    @classmethod
    def _resolve_logo(cls, branding: BrandingSettings, info: ValidationInfo) -> BrandingSettings:
        base = info.data.get("instance_dir")
        if branding.logo is None or base is None:
            return branding
        return branding.model_copy(update={"logo": (base / branding.logo).resolve()})

    @field_validator("database")
    @classmethod
    def _default_database(
        cls, database: DatabaseSettings, info: ValidationInfo
    ) -> DatabaseSettings:
        data_dir = info.data.get("data_dir")
        if database.url or data_dir is None:
            return database
        return database.model_copy(update={"url": f"{SQLITE_SCHEME}:///{data_dir / 'jamii.db'}"})

    @field_validator("translation")
    @classmethod
    def _resolve_models_dir(
        cls, translation: TranslationSettings, info: ValidationInfo
    ) -> TranslationSettings:
        base = info.data.get("instance_dir")
        if translation.models_dir is None or base is None:
            return translation
        folder = (base / translation.models_dir.expanduser()).resolve()
        return translation.model_copy(update={"models_dir": folder})

    @property
    def translation_models_dir(self) -> Path:
        """Where the Argos packages are (``[translation] models_dir`` or the data folder's)."""
        return self.translation.models_dir or self.data_dir / "translation"

    @property
    def code(self) -> str:
        """The instance folder's name, e.g. ``"ke"``."""
        return self.instance_dir.name

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL, always with an async driver."""
        return self.database.url

    @property
    def is_sqlite(self) -> bool:
        return self.database.url.startswith(f"{SQLITE_SCHEME}://")

    @property
    def base_url(self) -> str:
        """``https://domain``, or ``http://domain`` when ``dev_insecure`` is set."""
        return f"{'http' if self.dev_insecure else 'https'}://{self.domain}"

    @property
    def in_process_worker(self) -> bool:
        """Whether ``jamii serve`` also runs the job worker (see ``JobSettings``)."""
        return self.jobs.runs_in_process(is_sqlite=self.is_sqlite)


Config = InstanceConfig
