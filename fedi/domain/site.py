"""What the business rules need to know about this instance, independent of the config file."""

from __future__ import annotations

from dataclasses import dataclass

from fedi.config import InstanceConfig

# The languages Jamii bridges; posts may carry any ISO 639-1 code, but these are first-class.
SUPPORTED_LANGUAGES = ("en", "fr", "pt", "sw")


@dataclass(frozen=True)
class Site:
    domain: str
    base_url: str
    primary_language: str
    post_length: int = 5000
    max_attachments: int = 4
    # What language detection may choose from (``[languages] detect``).
    detection_languages: tuple[str, ...] = SUPPORTED_LANGUAGES
    community_creation: str = "teachers"
    # The instance's own languages (primary, then bridged): what posts are translated into.
    languages: tuple[str, ...] = ()
    # Queue a translate job with every public post: ``[translation] eager`` once an engine
    # offering a pair is running (``fedi.runtime``); off otherwise.
    eager_translation: bool = False
    # How long a new post's federation may wait for its eager translations, in seconds:
    # ``[translation] federation_wait`` once an engine is running (``fedi.runtime``), else 0.
    translation_hold: float = 0.0

    @classmethod
    def from_config(cls, config: InstanceConfig) -> Site:
        return cls(
            domain=config.domain,
            base_url=config.base_url,
            primary_language=config.languages.primary,
            post_length=config.limits.post_length,
            max_attachments=config.limits.max_attachments,
            detection_languages=tuple(config.languages.detect),
            community_creation=config.communities.creation,
            languages=tuple(config.languages.supported),
        )

    # Local URLs are minted here and nowhere else, so federation and the pages agree on them.
    def actor_uri(self, username: str) -> str:
        return f"{self.base_url}/users/{username}"

    def profile_url(self, username: str) -> str:
        return f"{self.base_url}/@{username}"

    def status_uri(self, username: str, status_id: int) -> str:
        return f"{self.base_url}/users/{username}/statuses/{status_id}"

    def status_url(self, username: str, status_id: int) -> str:
        return f"{self.base_url}/@{username}/{status_id}"

    def tag_url(self, name: str) -> str:
        return f"{self.base_url}/tags/{name}"

    def inbox_url(self, username: str) -> str:
        return f"{self.base_url}/users/{username}/inbox"

    def shared_inbox_url(self) -> str:
        return f"{self.base_url}/inbox"
