"""A teacher's plain text made into HTML, with links, mentions and hashtags, as Mastodon does.

Everything not built here is escaped. The markup follows Mastodon's ``TextFormatter`` (so
Mastodon clients shorten links and recognise mentions and hashtags), with one difference:
every link carries ``target="_blank" rel="nofollow noopener noreferrer"``, because
``sanitize_html`` puts them on every link and rendered text must survive it unchanged.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from linkify_it import LinkifyIt

from fedi.domain.html import LINK_REL, escape_attribute, escape_text


@dataclass(frozen=True)
class Handle:
    """A mention as written: ``@amina`` or ``@amina@sn.example``.

    ``domain`` is lower-cased and IDNA-encoded (``bücher.example`` becomes
    ``xn--bcher-kva.example``), also when a caller builds a Handle itself, so handles compare
    equal however the domain was spelled. ``None`` means written without a domain. The
    username keeps the spelling the author used.
    """

    username: str
    domain: str | None = None

    def __post_init__(self) -> None:
        if self.domain is not None:
            object.__setattr__(self, "domain", _normalise_domain(self.domain))


def _normalise_domain(domain: str) -> str:
    """Lower-cased ASCII (punycode) form; ValueError when it is no valid domain name.

    A port stays attached (``@amina@127.0.0.1:8101``): servers on one host, as in the
    loopback demo, differ only by it.
    """
    host, colon, port = domain.rpartition(":")
    if colon and port.isdigit() and host:
        return f"{_normalise_domain(host)}:{port}"
    try:
        # A fully qualified "sn.example." names the same server as "sn.example".
        ascii_domain = domain.removesuffix(".").encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise ValueError(f"not a domain name: {domain!r}") from error
    if not ascii_domain:
        raise ValueError("not a domain name: ''")
    return ascii_domain


_USERNAME = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?"
# Labels of letters and digits in any script; ending on one leaves a trailing '.' or ','
# to the sentence.
_DOMAIN = r"[^\W_](?:[\w.-]*[^\W_])?"
# A mention starts a word: after whitespace or opening punctuation, never inside an email
# address (a@b.org), a path (/@amina) or after another '@'. "@José" is no mention of "jos".
_MENTION = re.compile(
    rf"(?<![^\s(\[{{\"'«‹“‘„‚¿¡（［｛「『【])"
    rf"@(?P<username>{_USERNAME})(?!\w)(?:@(?P<domain>{_DOMAIN}(?::[0-9]{{1,5}}(?![0-9]))?))?"
)

# Hashtag words may join parts with a middle dot (Catalan "col·legi", Japanese "・").
_TAG_JOINERS = "\u00b7\u30fb"
# '&' keeps "&#39;" from being a hashtag; '/', '=' and ')' are Mastodon's: a fragment in a
# bare "example.org/#x" or "?a=#b", or "f(x)#2", is no hashtag either.
_NOT_BEFORE_TAG = "&/=)"
_HASH = re.compile("#")

_LINK_PREFIX = re.compile(r"https?://(?:www\.)?", re.IGNORECASE)
_SHORT_LINK_LENGTH = 30
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# Only links written with http:// or https://, as Mastodon: a bare "example.org" or an
# email address stays text.
_LINKIFY = (
    LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
    .add("ftp:", None)
    .add("mailto:", None)
    .add("//", None)
)
# LinkifyIt keeps the state of the last scan on the instance.
_LINKIFY_LOCK = threading.Lock()
# linkify-it counts typographic closing quotes and "…" as part of a link, but in
# Portuguese «https://…» or English “https://…” they close the sentence, not the path.
_CLOSING_QUOTES = {"»": "«", "”": "“", "’": "‘", "›": "‹", "」": "「", "』": "『", "…": ""}


@dataclass(frozen=True)
class _Link:
    start: int
    end: int
    url: str


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    handle: Handle


@dataclass(frozen=True)
class _Hashtag:
    start: int
    end: int
    tag: str


_Entity = _Link | _Mention | _Hashtag


def _normalise(text: str) -> str:
    # The same changes the HTML parser in sanitize_html would make (it drops NUL and turns
    # CR into LF), so rendered text survives it; lone surrogates cannot be encoded at all.
    text = _LONE_SURROGATE.sub("\ufffd", text.replace("\x00", ""))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _trim_closing_quotes(url: str) -> str:
    while url and url[-1] in _CLOSING_QUOTES:
        opening = _CLOSING_QUOTES[url[-1]]
        if opening and url.count(opening) >= url.count(url[-1]):
            break  # a quote the link itself opened: "?q=«x»" keeps its »
        url = url[:-1]
    return url


def _links(text: str) -> list[_Link]:
    with _LINKIFY_LOCK:
        matches = _LINKIFY.match(text) or []
    links = []
    for match in matches:
        if match.schema in ("http:", "https:"):
            # An http(s) link as written is its own URL; linkify-it only rewrites bare ones.
            url = _trim_closing_quotes(match.text)
            links.append(_Link(match.index, match.index + len(url), url))
    return links


def _mentions(text: str) -> Iterator[_Mention]:
    for match in _MENTION.finditer(text):
        domain = match["domain"]
        try:
            handle = Handle(match["username"], domain)
        except ValueError:
            continue  # "@amina@-" and the like: not a handle anyone has
        yield _Mention(match.start(), match.end(), handle)


def _is_tag_char(char: str) -> bool:
    # Letters and marks of any script (so "é" written as e + U+0301 and Devanagari vowel
    # signs stay inside the word), decimal digits and underscore: Ruby's [[:word:]].
    category = unicodedata.category(char)
    return char == "_" or category[0] in "LM" or category == "Nd"


def _hashtags(text: str) -> Iterator[_Hashtag]:
    for match in _HASH.finditer(text):
        start = match.start()
        before = text[start - 1] if start else " "
        if _is_tag_char(before) or before in _NOT_BEFORE_TAG:
            continue
        end = start + 1
        while end < len(text) and (_is_tag_char(text[end]) or text[end] in _TAG_JOINERS):
            end += 1
        tag = text[start + 1 : end].rstrip(_TAG_JOINERS)
        if tag and tag[0] not in _TAG_JOINERS and not tag.isdecimal():
            yield _Hashtag(start, start + 1 + len(tag), tag)


def _entities(text: str) -> list[_Entity]:
    """Links, mentions and hashtags in order; what lies inside a link belongs to the link."""
    links = _links(text)
    words: list[_Mention | _Hashtag] = [*_mentions(text), *_hashtags(text)]
    entities: list[_Entity] = list(links)
    for word in words:
        if not any(link.start < word.end and word.start < link.end for link in links):
            entities.append(word)
    return sorted(entities, key=lambda entity: entity.start)


def extract_mentions(text: str) -> list[Handle]:
    """The handles mentioned in ``text``, each once, in order of appearance."""
    handles = (e.handle for e in _entities(_normalise(text)) if isinstance(e, _Mention))
    return list(dict.fromkeys(handles))


def extract_hashtags(text: str) -> list[str]:
    """The hashtags in ``text`` without '#', each once ignoring case, as first spelled."""
    first: dict[str, str] = {}
    for entity in _entities(_normalise(text)):
        if isinstance(entity, _Hashtag):
            first.setdefault(unicodedata.normalize("NFKC", entity.tag).casefold(), entity.tag)
    return list(first.values())


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _link_html(url: str) -> str:
    # Mastodon hides the scheme (and "www.") and shows at most 30 characters of the rest;
    # its CSS puts an ellipsis after the visible part.
    prefix = _LINK_PREFIX.match(url)
    shown_from = prefix.end() if prefix else 0
    rest = url[shown_from:]
    shown, hidden = rest[:_SHORT_LINK_LENGTH], rest[_SHORT_LINK_LENGTH:]
    html = (
        f'<a href="{escape_attribute(url)}" translate="no" target="_blank" rel="{LINK_REL}">'
        f'<span class="invisible">{escape_text(url[:shown_from])}</span>'
        f'<span class="{"ellipsis" if hidden else ""}">{escape_text(shown)}</span>'
    )
    if hidden:
        html += f'<span class="invisible">{escape_text(hidden)}</span>'
    return html + "</a>"


class _Renderer:
    def __init__(
        self, text: str, mention_urls: Mapping[Handle, str], tag_url: Callable[[str], str]
    ) -> None:
        self._tag_url = tag_url
        # A remote account's URL comes from its own server: anything but a web link is
        # treated as an unknown account rather than put in an href.
        self._mention_urls = {h: url for h, url in mention_urls.items() if _is_web_url(url)}
        # As Mastodon: show the domain only when the same username names different accounts
        # in this text, so @amina (here) and @amina@sn.example can be told apart.
        urls_by_name: dict[str, set[str]] = {}
        for handle in extract_mentions(text):
            if handle in self._mention_urls:
                name = handle.username.lower()
                urls_by_name.setdefault(name, set()).add(self._mention_urls[handle])
        self._ambiguous = {name for name, urls in urls_by_name.items() if len(urls) > 1}

    def line(self, line: str) -> str:
        parts: list[str] = []
        position = 0
        for entity in _entities(line):
            parts.append(escape_text(line[position : entity.start]))
            parts.append(self._entity(entity, line[entity.start : entity.end]))
            position = entity.end
        parts.append(escape_text(line[position:]))
        return "".join(parts)

    def _entity(self, entity: _Entity, written: str) -> str:
        if isinstance(entity, _Link):
            return _link_html(entity.url)
        if isinstance(entity, _Mention):
            return self._mention(entity.handle, written)
        return self._hashtag(entity.tag)

    def _mention(self, handle: Handle, written: str) -> str:
        url = self._mention_urls.get(handle)
        if url is None:
            return escape_text(written)
        ambiguous = handle.username.lower() in self._ambiguous
        shown = written[1:] if ambiguous else handle.username
        return (
            f'<span class="h-card" translate="no"><a href="{escape_attribute(url)}" '
            f'class="u-url mention" target="_blank" rel="{LINK_REL}">'
            f"@<span>{escape_text(shown)}</span></a></span>"
        )

    def _hashtag(self, tag: str) -> str:
        url = self._tag_url(tag)
        if not _is_web_url(url):
            raise ValueError(f"tag_url must give an absolute http(s) URL, got {url!r}")
        return (
            f'<a href="{escape_attribute(url)}" class="mention hashtag" target="_blank" '
            f'rel="{LINK_REL}">#<span>{escape_text(tag)}</span></a>'
        )


def render_text(
    text: str, *, mention_urls: Mapping[Handle, str], tag_url: Callable[[str], str]
) -> str:
    """HTML for a teacher's plain text, as Mastodon renders a status.

    Blank lines separate ``<p>`` paragraphs and single newlines become ``<br>``. http(s)
    links are shortened for display; mentions found in ``mention_urls`` (keys as returned
    by ``extract_mentions``) link to the account, others stay text; hashtags link to
    ``tag_url(tag)``, which must be an absolute http(s) URL. The result passes
    ``sanitize_html`` unchanged.
    """
    text = _normalise(text)
    renderer = _Renderer(text, mention_urls, tag_url)
    paragraphs: list[list[str]] = [[]]
    for line in text.split("\n"):
        # Trailing spaces are invisible, and a line of spaces looks like a blank line.
        line = line.rstrip()
        if line:
            paragraphs[-1].append(renderer.line(line))
        elif paragraphs[-1]:
            paragraphs.append([])
    return "".join(f"<p>{'<br>'.join(lines)}</p>" for lines in paragraphs if lines)
