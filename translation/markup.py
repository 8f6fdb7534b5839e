"""Only text is translated: markup, links, mentions, hashtags, code and shortcodes are not.

A status is cut into *pieces*: fixed pieces come back byte for byte (tags, the text of links,
code, ``translate="no"`` elements, and in plain text URLs, @mentions, #hashtags, e-mail
addresses, ``:shortcodes:``, `inline code` and words_with_underscores), and text pieces go to
the engine with their surrounding whitespace held back. A model never sees an underscore it
would turn into a space (SentencePiece decoding does that) or a tag it could mangle.

The price: a sentence with a mention in the middle is translated as two fragments. Models
handle fragments well enough, and a mention that comes back intact matters more to a reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

# Elements whose whole content is kept as it is.
_PROTECTED_ELEMENTS = frozenset({"a", "code", "pre", "script", "style", "kbd", "samp"})
_VOID_ELEMENTS = frozenset(
    {"br", "hr", "img", "input", "meta", "link", "wbr", "area", "base", "col", "embed",
     "source", "track"}
)  # fmt: skip
_TRANSLATE_NO = re.compile(r"""\btranslate\s*=\s*(?:"no"|'no'|no\b)""", re.IGNORECASE)

# Plain-text spans that must come back exactly as written; the order matters (an e-mail
# address before a mention, a URL before anything it contains).
_PROTECTED_TEXT = re.compile(
    r"""
      (?:https?://|www\.)[^\s<>"']*[^\s<>"'.,;:!?)\]}]   # URLs, minus closing punctuation
    | [\w.+-]+@[\w-]+(?:\.[\w-]+)+                          # e-mail addresses
    | (?<![\w@])@\w+(?:@[\w-]+(?:\.[\w-]+)+)?               # @user and @user@domain
    | (?<![\w#&])\#\w+                                      # hashtags
    | :[A-Za-z0-9_+-]{2,}:                                  # emoji shortcodes
    | `[^`\n]+`                                            # inline code
    | \w+(?:_\w+)+                                          # words_with_underscores
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Piece:
    """A run of output: ``text`` is raw HTML (fixed) or plain text (to translate)."""

    text: str
    translatable: bool


def escape_text(text: str) -> str:
    """Escape a text node the way nh3 serialises one."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _is_worth_translating(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def split_plain_text(text: str) -> list[Piece]:
    """Cut plain text into fixed and translatable pieces (plain text, not HTML)."""
    pieces: list[Piece] = []
    position = 0
    for match in _PROTECTED_TEXT.finditer(text):
        if match.start() > position:
            pieces.extend(_text_pieces(text[position : match.start()]))
        pieces.append(Piece(match.group(0), translatable=False))
        position = match.end()
    if position < len(text):
        pieces.extend(_text_pieces(text[position:]))
    return pieces


def _text_pieces(text: str) -> list[Piece]:
    # Whitespace at the edges stays ours: engines strip or add it at will.
    stripped = text.strip()
    if not stripped or not _is_worth_translating(stripped):
        return [Piece(text, translatable=False)]
    start = text.index(stripped)
    pieces = []
    if start:
        pieces.append(Piece(text[:start], translatable=False))
    pieces.append(Piece(stripped, translatable=True))
    end = start + len(stripped)
    if end < len(text):
        pieces.append(Piece(text[end:], translatable=False))
    return pieces


class _Splitter(HTMLParser):
    """Walks HTML once, writing fixed pieces as HTML and text pieces as plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[Piece] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, protects its content)

    @property
    def _protected(self) -> bool:
        return any(protects for _, protects in self._stack)

    def _fixed(self, html: str) -> None:
        self.pieces.append(Piece(html, translatable=False))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or f"<{tag}>"
        self._fixed(raw)
        if tag in _VOID_ELEMENTS:
            return
        protects = tag in _PROTECTED_ELEMENTS or bool(_TRANSLATE_NO.search(raw))
        self._stack.append((tag, protects))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._fixed(self.get_starttag_text() or f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        self._fixed(f"</{tag}>")
        # Close up to the matching element; a stray end tag closes nothing.
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if self._protected:
            self._fixed(escape_text(data))
            return
        for piece in split_plain_text(data):
            if piece.translatable:
                self.pieces.append(piece)
            else:
                self._fixed(escape_text(piece.text))


def split_html(html: str) -> list[Piece]:
    """Cut HTML into fixed HTML pieces and plain-text pieces to translate.

    Joining the pieces (text pieces escaped) gives the same document back, up to how
    character references are written. Comments and declarations are dropped; the
    sanitiser would drop them anyway.
    """
    splitter = _Splitter()
    splitter.feed(html)
    splitter.close()
    return splitter.pieces


def join_html(pieces: Sequence[Piece], translate: Callable[[str], str]) -> str:
    """Put HTML back together, text pieces replaced by ``translate(text)`` and escaped."""
    return "".join(
        escape_text(translate(piece.text)) if piece.translatable else piece.text for piece in pieces
    )


def join_text(pieces: Sequence[Piece], translate: Callable[[str], str]) -> str:
    """Put plain text back together, text pieces replaced by ``translate(text)``."""
    return "".join(translate(piece.text) if piece.translatable else piece.text for piece in pieces)
