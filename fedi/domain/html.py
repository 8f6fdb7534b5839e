"""Stored HTML: Mastodon's allowlist applied with nh3, and plain text read back out of it.

Every piece of HTML Jamii stores or serves went through ``sanitize_html``: remote posts,
translations (an engine's output is untrusted) and our own rendered text. HTML built by hand
uses ``escape_text`` and ``escape_attribute``, which escape exactly as nh3 serialises, so that
sanitising it again changes nothing.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

import nh3

LINK_REL = "nofollow noopener noreferrer"

_TAGS = frozenset(
    {
        "p", "br", "span", "a", "del", "pre", "code", "em", "strong", "b", "i", "u",
        "ul", "ol", "li", "blockquote",
    }
)  # fmt: skip
_ATTRIBUTES = {
    # Mastodon's list has rel too; nh3 refuses it alongside link_rel, which sets it below.
    "a": frozenset({"href", "class", "translate"}),
    "span": frozenset({"class", "translate"}),
    "ol": frozenset({"start", "reversed"}),
    "li": frozenset({"value"}),
}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Sanitize's (the Ruby gem behind Mastodon) default list: their text is code or markup that
# would otherwise show up as junk once the element itself is gone.
_DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "math", "noembed", "noframes", "noscript", "plaintext",
     "svg", "xmp"}
)  # fmt: skip

# Classes carry meaning for clients (mentions, hashtags, Mastodon's link shortening) and
# microformats; anything else could restyle a post with our own CSS.
_CLASSES = frozenset(
    {"h-card", "u-url", "u-uid", "mention", "hashtag", "invisible", "ellipsis", "quote-inline"}
)
_MICROFORMAT_CLASS = re.compile(r"(?:h|p|u|dt|e)-[a-z0-9]+(?:-[a-z0-9]+)*")
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_INTEGER = re.compile(r"-?[0-9]{1,9}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _allowed_classes(value: str) -> str | None:
    kept = [
        name
        for name in _HTML_SPACE.split(value)
        if name in _CLASSES or _MICROFORMAT_CLASS.fullmatch(name)
    ]
    if kept or not value.strip(" \t\n\r\f"):
        # An empty class is harmless, and Mastodon's own link markup uses one.
        return " ".join(kept)
    return None


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    # nh3 drops the attribute and reports through sys.unraisablehook if this raises, so it
    # must not: plain comparisons only.
    if name == "class":
        return _allowed_classes(value)
    if name == "translate":
        return value if value == "no" else None
    if name in ("start", "value"):
        return value if _INTEGER.fullmatch(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    strip_comments=True,
    # Every link, whatever it claims to be: a remote post cannot opt out by dressing a link
    # up as a mention. nh3 places target before rel on every <a>, deterministically.
    link_rel=LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes=_URL_SCHEMES,
    # A relative href means nothing once the post leaves the server that wrote it.
    url_relative="deny",
)


def _clean(html: str) -> str:
    clean = _CLEANER.clean(html)
    # A parser drops the newline right after <pre>, but the serializer does not write one
    # back, so content starting with a newline would lose it on every pass. Writing the
    # extra newline keeps the result stable. "<pre>" here is always the tag: a "<" in text
    # or an attribute comes out escaped, and <pre> never keeps an attribute.
    return clean.replace("<pre>\n", "<pre>\n\n")


# The inbox batcher sanitises each post once before taking SQLite's write lock, so that the
# call made under the lock finds the result here (fedi.federation.inbox.batch). Pure
# functions of a string; bounded both in entries and in the size of what is kept.
MEMO_ENTRIES = 128
MEMO_MAX_CHARS = 64 * 1024


def sanitize_html(html: str) -> str:
    """Keep only Mastodon's allowlist of tags, attributes, classes and link schemes.

    Links gain ``target="_blank" rel="nofollow noopener noreferrer"``; the content of
    ``<script>``, ``<style>`` and similar is dropped with them. The result is stable:
    sanitising it again returns it unchanged.
    """
    if len(html) <= MEMO_MAX_CHARS:
        return _sanitize_memo(html)
    return _sanitize(html)


def _sanitize(html: str) -> str:
    # Python strings may hold lone surrogates (json.loads accepts "\ud800"); nh3 cannot
    # encode them and would raise on hostile input.
    once = _clean(_LONE_SURROGATE.sub("\ufffd", html))
    # Removing an element can leave a tree no HTML text describes (a <p> inside a <p> once
    # the <select> or <table> between them is gone), which the next parse rebuilds
    # differently. A second pass starts from such a reparse, so its output is stable.
    return _clean(once)


def escape_text(text: str) -> str:
    """Escape text for an HTML text node exactly as ``sanitize_html`` writes it."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\xa0", "&nbsp;")
    )


def escape_attribute(value: str) -> str:
    """Escape a double-quoted attribute value exactly as ``sanitize_html`` writes it."""
    return escape_text(value).replace('"', "&quot;")


# Paragraph-like elements are separated by a blank line, list items and rows by a newline.
_PARAGRAPHS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
     "section", "article", "header", "footer", "figure", "dl", "hr"}
)  # fmt: skip
_LINES = frozenset({"li", "tr", "dt", "dd", "figcaption"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._newlines = 0  # owed before the next text, so none trail at the end
        self._dropped = 0  # depth inside elements whose content is not text
        self._pre = 0

    def _block(self, tag: str) -> None:
        if tag in _PARAGRAPHS:
            self._newlines = max(self._newlines, 2)
        elif tag in _LINES:
            self._newlines = max(self._newlines, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self._dropped += 1
        elif self._dropped:
            return
        elif tag == "br":
            self._newlines += 1
        else:
            if tag == "pre":
                self._pre += 1
            self._block(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self._dropped = max(self._dropped - 1, 0)
        elif not self._dropped and tag != "br":
            if tag == "pre":
                self._pre = max(self._pre - 1, 0)
            self._block(tag)

    def handle_data(self, data: str) -> None:
        if self._dropped:
            return
        if not self._pre:
            # Source line breaks and indentation are not text in HTML; &nbsp; is, so
            # str.split() (which would eat it) is not used here.
            data = _HTML_SPACE.sub(" ", data)
            if data == " " and (self._newlines or not self.parts or self.parts[-1][-1] == " "):
                return
        if self._newlines and self.parts:
            self.parts[-1] = self.parts[-1].rstrip(" ")
            self.parts.append("\n" * self._newlines)
            data = data if self._pre else data.lstrip(" ")
        elif not self.parts or self.parts[-1][-1] in " \n":
            data = data if self._pre else data.lstrip(" ")
        self._newlines = 0
        if data:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment, for search and previews.

    Paragraphs are separated by a blank line, ``<br>`` and list items by a newline, entities
    are decoded and the content of scripts and styles is left out.
    """
    if len(html) <= MEMO_MAX_CHARS:
        return _text_memo(html)
    return _text(html)


def _text(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return "".join(collector.parts).rstrip(" \n")


_sanitize_memo = functools.lru_cache(maxsize=MEMO_ENTRIES)(_sanitize)
_text_memo = functools.lru_cache(maxsize=MEMO_ENTRIES)(_text)
