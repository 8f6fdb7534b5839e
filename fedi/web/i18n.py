"""The pages' languages: catalogs, choosing the reader's language, dates and plurals.

Catalogs are the committed ``locale/<lang>/LC_MESSAGES/messages.po`` files, compiled in
memory the first time a language is used (``babel.messages.mofile``), so a fresh clone
needs no build step and no binary ``.mo`` files live in git. English is the source text.

The reader's language is, in order: the signed-in teacher's setting, a ``lang`` query
parameter (remembered in a cookie), that cookie, the browser's ``Accept-Language``, and
finally the instance's primary language.
"""

from __future__ import annotations

import functools
import io
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.core import UnknownLocaleError, negotiate_locale
from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request

from fedi.db.base import utcnow

LANGUAGES = ("en", "fr", "pt", "sw")
LOCALE_DIR = Path(__file__).parent / "locale"
COOKIE = "jamii_lang"


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalog of ``lang`` (English, the source language, needs none)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not po.is_file():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def _accepted(header: str) -> list[str]:
    """``Accept-Language`` tags by preference (``q`` weights honoured, ``q=0`` dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def choose(request: Request, setting: str | None, primary: str) -> str:
    """The language to show ``request`` the page in (see the module's docstring)."""
    for candidate in (setting, request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    header = request.headers.get("accept-language", "")
    found = negotiate_locale(_accepted(header), LANGUAGES, sep="-") if header else None
    if found is None and header:
        # negotiate_locale matches "fr" to "fr-SN" only one way: strip regions ourselves.
        bare = [tag.split("-")[0].lower() for tag in _accepted(header)]
        found = next((tag for tag in bare if tag in LANGUAGES), None)
    return found if found in LANGUAGES else primary


def language_name(code: str) -> str:
    """A language's name in itself (``Kiswahili``, ``français``): how a picker lists it."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def language_in(code: str, lang: str) -> str:
    """A language's name in the reader's language (``French``, ``français``, ``Kifaransa``),
    as a sentence about a post's language says it."""
    try:
        return Locale.parse(code).get_display_name(lang) or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code


def when(moment: datetime, lang: str) -> str:
    return format_datetime(moment, format="medium", locale=lang)


def ago(moment: datetime, lang: str) -> str:
    """``3 hours ago``, ``il y a 3 heures``, ``saa 3 zilizopita``."""
    return format_timedelta(moment - utcnow(), add_direction=True, locale=lang)
