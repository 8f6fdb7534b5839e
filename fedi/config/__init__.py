"""Instance configuration: ``instances/<code>/instance.toml`` plus ``JAMII_*`` overrides.

    from fedi.config import load_config
    config = load_config("instances/ke")  # raises ConfigError listing every problem

Reference: ``docs/configuration.md``.
"""

from fedi.config.loader import CONFIG_FILE, check_config, load_config
from fedi.config.problems import ConfigError, Problem
from fedi.config.schema import (
    BrandingSettings,
    Config,
    DatabaseSettings,
    FeatureSettings,
    FederationPolicy,
    FederationSettings,
    InstanceConfig,
    InstanceSettings,
    JobSettings,
    Language,
    LanguageSettings,
    LimitSettings,
    RegistrationPolicy,
    RegistrationSettings,
    ServerSettings,
    TranslationSettings,
)

__all__ = [
    "CONFIG_FILE",
    "BrandingSettings",
    "Config",
    "ConfigError",
    "DatabaseSettings",
    "FeatureSettings",
    "FederationPolicy",
    "FederationSettings",
    "InstanceConfig",
    "InstanceSettings",
    "JobSettings",
    "Language",
    "LanguageSettings",
    "LimitSettings",
    "Problem",
    "RegistrationPolicy",
    "RegistrationSettings",
    "ServerSettings",
    "TranslationSettings",
    "check_config",
    "load_config",
]
