"""One status's texts, translated together in one batched call."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TextBundle:
    """Everything of a status a reader sees: the HTML content and the plain-text parts.

    ``content_html`` is HTML (translated text node by text node, markup kept); the others
    are plain text, as Mastodon stores them.
    """

    content_html: str = ""
    spoiler_text: str = ""
    media_descriptions: tuple[str, ...] = ()
    poll_options: tuple[str, ...] = ()


@dataclass(frozen=True)
class TranslatedBundle:
    """A ``TextBundle`` in the target language, with what is needed to cache it.

    ``engine`` and ``model_version`` identify what produced it, so a cache keyed on
    (status, target, engine, model_version) is invalidated by installing a newer model.
    ``content_html`` has been sanitised again: an engine's output is untrusted.
    """

    content_html: str
    spoiler_text: str
    media_descriptions: tuple[str, ...]
    poll_options: tuple[str, ...]
    source: str
    target: str
    engine: str
    model_version: str
    translated_segments: int = field(default=0, compare=False)
