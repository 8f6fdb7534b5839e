"""The entry point for fedi: translate one status's texts in one batched call.

    service = TranslationService(EngineChain([ArgosEngine(paths)]), sanitise=sanitize_html)
    await service.start()
    rendition = await service.translate(TextBundle(content_html=..., ...), "fr", "en")

Content HTML is cut into text fragments and markup (``translation.markup``); the fragments of
the content, the spoiler text, the media descriptions and the poll options all go to the
engine as one list, and the pieces are put back together. The HTML that comes out is
sanitised again with the caller's sanitiser (fedi passes its own; the default is nh3 with
Mastodon's allowlist).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import nh3

from translation.bundle import TextBundle, TranslatedBundle
from translation.chain import EngineChain
from translation.engine import EngineReport
from translation.errors import Pair, UnsupportedPair
from translation.markup import Piece, join_html, join_text, split_html, split_plain_text

log = logging.getLogger(__name__)

Sanitiser = Callable[[str], str]

_TAGS = {
    "p", "br", "span", "a", "del", "pre", "code", "em", "strong", "b", "i", "u",
    "ul", "ol", "li", "blockquote",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "class", "translate"}, "span": {"class", "translate"}}


def default_sanitise(html: str) -> str:
    """nh3 with Mastodon's tags; fedi passes its stricter ``sanitize_html`` instead."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        link_rel="nofollow noopener noreferrer",
        url_schemes={"http", "https", "mailto"},
    )


def normalise_language(code: str) -> str:
    """``"pt-BR"`` → ``"pt"``, ``" FR "`` → ``"fr"``: engines know bare ISO 639-1 codes."""
    return code.strip().replace("_", "-").split("-", 1)[0].lower()


class TranslationService:
    def __init__(self, chain: EngineChain, sanitise: Sanitiser = default_sanitise) -> None:
        self.chain = chain
        self.sanitise = sanitise

    async def start(self) -> list[EngineReport]:
        return await self.chain.start()

    async def close(self) -> None:
        await self.chain.close()

    async def available_pairs(self) -> frozenset[Pair]:
        return await self.chain.available_pairs()

    async def translate(self, bundle: TextBundle, source: str, target: str) -> TranslatedBundle:
        """``bundle`` in ``target``: ``UnsupportedPair`` (→ 422) or ``EngineUnavailable``
        (→ 503 with ``Retry-After``) otherwise."""
        source, target = normalise_language(source), normalise_language(target)
        if source == target:
            raise UnsupportedPair(source, target, await self.available_pairs())
        content = split_html(bundle.content_html) if bundle.content_html else []
        spoiler = split_plain_text(bundle.spoiler_text)
        descriptions = [split_plain_text(text) for text in bundle.media_descriptions]
        options = [split_plain_text(text) for text in bundle.poll_options]
        every = [content, spoiler, *descriptions, *options]
        # Identical fragments ("Yes", "No" in a poll) are translated once.
        unique = list(dict.fromkeys(p.text for pieces in every for p in pieces if p.translatable))
        if unique:
            result = await self.chain.translate_texts(unique, source, target)
            translated = dict(zip(unique, result.texts, strict=True))
            engine, version = result.engine, result.model_version
        else:
            # Nothing to translate (only links, emoji, numbers): still say who would have.
            if (source, target) not in await self.available_pairs():
                raise UnsupportedPair(source, target, await self.available_pairs())
            translated, engine, version = {}, "", ""
        log.debug("translated %d fragments %s→%s with %s", len(unique), source, target, engine)

        def lookup(text: str) -> str:
            return translated.get(text, text)

        def plain(pieces: list[Piece]) -> str:
            return join_text(pieces, lookup)

        return TranslatedBundle(
            content_html=self.sanitise(join_html(content, lookup)) if content else "",
            spoiler_text=plain(spoiler),
            media_descriptions=tuple(plain(pieces) for pieces in descriptions),
            poll_options=tuple(plain(pieces) for pieces in options),
            source=source,
            target=target,
            engine=engine,
            model_version=version,
            translated_segments=len(unique),
        )
