"""Rendering a page in the reader's language: one Jinja2 environment per language, each
with its gettext catalog installed (``jinja2.ext.i18n``, new-style: autoescaped, with
``%(name)s`` placeholders), plus localised date filters."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from fedi.db.base import utcnow
from fedi.domain.browser_sessions import SignedIn
from fedi.state import AppState
from fedi.web import csrf, i18n
from fedi.web.attachments import attachment
from fedi.web.sessions import viewer_of

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE_AGE = 365 * 24 * 3600
# Pages differ by the reader's language and session; caches must keep them apart.
VARY = "Accept, Accept-Language, Cookie"


@functools.cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = functools.partial(i18n.when, lang=lang)
    env.filters["ago"] = functools.partial(i18n.ago, lang=lang)
    env.globals["language_name"] = i18n.language_name
    env.globals["language_in"] = i18n.language_in
    # Whether a poll has ended is decided at render time (macros see globals, not the context).
    env.globals["utcnow"] = utcnow
    env.globals["attachment"] = attachment
    return env


@dataclass(frozen=True)
class Reader:
    """Who reads the page and in which language."""

    lang: str
    viewer: SignedIn | None

    def gettext(self, message: str) -> str:
        return i18n.translations(self.lang).gettext(message)

    @property
    def is_admin(self) -> bool:
        return self.viewer is not None and self.viewer.user.role == "admin"


async def reader_of(request: Request) -> Reader:
    state: AppState = request.app.state.jamii
    viewer = await viewer_of(request)
    setting = viewer.user.locale if viewer else None
    return Reader(i18n.choose(request, setting, state.config.languages.primary), viewer)


def page_html(request: Request, reader: Reader, name: str, **context: object) -> str:
    """The HTML of page ``name``; ``render`` wraps it in a response with cookies."""
    state: AppState = request.app.state.jamii
    context.setdefault("csrf_token", "")
    return (
        environment(reader.lang)
        .get_template(name)
        .render(
            config=state.config,
            reader=reader,
            lang=reader.lang,
            languages=i18n.LANGUAGES,
            path=request.url.path,
            **context,
        )
    )


def anonymous_reader(request: Request) -> Reader:
    """The reader of a page that never uses the session (the OAuth consent page)."""
    state: AppState = request.app.state.jamii
    return Reader(i18n.choose(request, None, state.config.languages.primary), None)


async def render(
    request: Request,
    name: str,
    status_code: int = 200,
    *,
    reader: Reader | None = None,
    form: bool = False,
    **context: object,
) -> Response:
    """The page ``name`` for this request. ``form=True`` (or a signed-in reader, whose every
    page carries the log-out form) issues the CSRF token the page's forms repeat."""
    state: AppState = request.app.state.jamii
    reader = reader or await reader_of(request)
    with_forms = form or reader.viewer is not None
    token = csrf.token_for(request, state.config) if with_forms else ""
    html = page_html(request, reader, name, csrf_token=token, **context)
    response = HTMLResponse(html, status_code=status_code, headers={"Vary": VARY})
    # Pages with a session or a form are private; the public ones may be cached briefly.
    response.headers["Cache-Control"] = "private, no-store" if with_forms else "public, max-age=60"
    if with_forms:
        csrf.set_cookie(response, state.config, token)
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES and request.cookies.get(i18n.COOKIE) != chosen:
        response.set_cookie(
            i18n.COOKIE,
            chosen,
            max_age=LANG_COOKIE_AGE,
            path="/",
            samesite="lax",
            httponly=True,
            secure=not state.config.dev_insecure,
        )
    return response
