"""A teacher's notifications: mentions and replies, follows and follow requests (answered
here), favourites, boosts, edits, polls that ended, reports for moderators. Newest first,
twenty a page; each links to its post or person.

The list is ``fedi.domain.notifications.list_notifications`` (mutes honoured), as the API's.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fedi.db.models import Account, Notification
from fedi.db.repositories.accounts import account_views
from fedi.db.repositories.statuses import load_views
from fedi.db.repositories.views import AccountView, StatusView
from fedi.domain import follows, join_requests, notifications
from fedi.domain.pagination import MAX_ID, Page
from fedi.errors import NotFound
from fedi.state import AppState
from fedi.web.access import signed_in, staff_role
from fedi.web.forms import checked_form, text
from fedi.web.rendering import render

PER_PAGE = 20


@dataclass(frozen=True)
class Shown:
    """One notification as the page shows it."""

    id: int
    type: str
    created_at: object
    sender: AccountView
    status: StatusView | None
    # A mention that answers one of the reader's posts reads "replied to you".
    reply: bool


def _max_id(request: Request) -> int | None:
    raw = request.query_params.get("max_id", "")
    return int(raw) if raw.isdigit() and int(raw) <= MAX_ID else None


async def _shown(state: AppState, account: Account, found: list[Notification]) -> list[Shown]:
    async with state.readers() as session:
        senders = {
            v.id: v for v in await account_views(session, [n.from_account_id for n in found])
        }
        ids = [n.status_id for n in found if n.status_id is not None]
        statuses = {v.id: v for v in await load_views(session, ids, account.id)}
    shown = []
    for n in found:
        sender = senders.get(n.from_account_id)
        if sender is None:
            continue
        status = statuses.get(n.status_id) if n.status_id is not None else None
        reply = (
            n.type == "mention"
            and status is not None
            and status.in_reply_to_account_id == account.id
        )
        shown.append(Shown(n.id, n.type, n.created_at, sender, status, reply))
    return shown


async def notifications_page(request: Request) -> Response:
    reader = await signed_in(request)
    assert reader.viewer is not None
    state: AppState = request.app.state.jamii
    account = reader.viewer.account
    page = Page(max_id=_max_id(request), limit=PER_PAGE)
    async with state.readers() as session:
        found = await notifications.list_notifications(session, account, page)
        # Community moderators find their join requests in the moderation queue.
        moderates = staff_role(reader) is not None or await join_requests.moderates_any(
            session, account, None
        )
    shown = await _shown(state, account, found)
    older = found[-1].id if len(found) == PER_PAGE else None
    return await render(
        request,
        "notifications.html",
        reader=reader,
        notifications=shown,
        older=older,
        moderates=moderates,
    )


async def answer_request(request: Request) -> Response:
    """Accept or refuse a follow request from its notification (the Accept or Reject goes
    to the follower's server, as the API's ``follow_requests`` endpoints do)."""
    form = await checked_form(request)
    reader = await signed_in(request)
    assert reader.viewer is not None
    state: AppState = request.app.state.jamii
    raw = request.path_params["id"]
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise NotFound()
    async with state.sessions() as session, session.begin():
        me = await session.get(Account, reader.viewer.account.id)
        follower = await session.get(Account, int(raw))
        if me is None or follower is None:
            raise NotFound()
        if text(form, "decision") == "accept":
            await follows.authorize(session, me, follower)
        else:
            await follows.reject(session, me, follower)
    return RedirectResponse("/notifications", status_code=303)


routes = [
    Route("/notifications", notifications_page, methods=["GET"]),
    Route("/notifications/requests/{id}", answer_request, methods=["POST"]),
]
