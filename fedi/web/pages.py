"""The instance's public pages: its home (the ministry's presence), profiles and threads."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from fedi.db.base import utcnow
from fedi.db.repositories.statuses import account_view, load_views
from fedi.domain import timelines
from fedi.domain.accounts import local_account
from fedi.domain.interactions import visible_status
from fedi.domain.pagination import MAX_ID, Page
from fedi.errors import NotFound
from fedi.state import AppState

HERE = Path(__file__).parent
templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    enable_async=False,
)
# Whether a poll has ended is decided at render time (macros see globals, not the context).
templates.globals["utcnow"] = utcnow


def _render(request: Request, name: str, status_code: int = 200, **context: object) -> Response:
    state: AppState = request.app.state.jamii
    html = templates.get_template(name).render(config=state.config, **context)
    # The same URLs answer ActivityPub JSON to peers: caches must keep the two apart.
    return HTMLResponse(html, status_code=status_code, headers={"Vary": "Accept"})


async def home(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    posts = []
    if state.config.features.public_timeline:
        async with state.readers() as session:
            posts = await timelines.public(session, None, Page(limit=20), local_only=True)
    return _render(request, "home.html", posts=posts)


async def profile(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    async with state.readers() as session:
        account = await local_account(session, request.path_params["username"])
        if account is None or account.actor_type != "Person":
            raise NotFound("No teacher by that name here")
        view = await account_view(session, account.id)
        posts = await timelines.account_statuses(session, None, account.id, Page(limit=20))
    return _render(request, "profile.html", account=view, posts=posts)


async def thread(request: Request) -> Response:
    state: AppState = request.app.state.jamii
    raw = request.path_params["id"]
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise NotFound()
    async with state.readers() as session:
        status = await visible_status(session, None, int(raw))
        ctx = await timelines.context(session, None, status.id)
        focus = await load_views(session, [status.id], None)
    return _render(
        request, "thread.html", ancestors=ctx.ancestors, focus=focus[0], descendants=ctx.descendants
    )


routes = [
    Route("/", home),
    Route("/@{username}", profile),
    Route("/@{username}/{id}", thread),
    Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
]
