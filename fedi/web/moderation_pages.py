"""The moderation queue: open reports (from teachers here and, by Flag, from other
servers) for the instance's moderators and admins, and the join requests of the
communities a teacher moderates.

Closing a report is ``fedi.domain.reports.close_report``; answering a join request is
``fedi.domain.join_requests.answer`` (the Accept or Reject federates from there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fedi.db.models import Account, Report
from fedi.db.repositories.accounts import account_views
from fedi.db.repositories.statuses import load_views
from fedi.db.repositories.views import AccountView, StatusView
from fedi.domain import join_requests, reports
from fedi.domain.pagination import MAX_ID
from fedi.errors import Forbidden, NotFound
from fedi.state import AppState
from fedi.web.access import MODERATORS_ONLY, signed_in, staff_role
from fedi.web.forms import checked_form, text
from fedi.web.rendering import Reader, render


@dataclass(frozen=True)
class ShownReport:
    report: Report
    reporter: AccountView
    target: AccountView
    statuses: list[StatusView]

    @property
    def from_other_server(self) -> bool:
        return self.reporter.domain is not None


async def _reports(state: AppState) -> list[ShownReport]:
    async with state.readers() as session:
        found = await reports.open_reports(session)
        people = {
            v.id: v
            for v in await account_views(
                session, [i for r in found for i in (r.account_id, r.target_account_id)]
            )
        }
        shown = []
        for report in found:
            reporter, target = people.get(report.account_id), people.get(report.target_account_id)
            if reporter is None or target is None:
                continue
            # Moderators see the reported posts whatever their audience: that is the report.
            statuses = await load_views(session, list(report.status_ids or []), None)
            shown.append(ShownReport(report, reporter, target, statuses))
    return shown


@dataclass(frozen=True)
class ShownRequest:
    community: AccountView
    applicant: AccountView
    requested_at: datetime


async def _requests(state: AppState, account: Account, role: str | None) -> list[ShownRequest]:
    async with state.readers() as session:
        found = await join_requests.pending(session, account, role)
        people = {
            v.id: v
            for v in await account_views(
                session, [a.id for r in found for a in (r.community, r.applicant)]
            )
        }
    return [
        ShownRequest(people[r.community.id], people[r.applicant.id], r.requested_at)
        for r in found
        if r.community.id in people and r.applicant.id in people
    ]


async def _allowed(state: AppState, reader: Reader) -> tuple[Account, str | None]:
    assert reader.viewer is not None
    role = staff_role(reader)
    account = reader.viewer.account
    if role is None:
        async with state.readers() as session:
            if not await join_requests.moderates_any(session, account, role):
                raise Forbidden(MODERATORS_ONLY)
    return account, role


async def queue_page(request: Request) -> Response:
    reader = await signed_in(request)
    state: AppState = request.app.state.jamii
    account, role = await _allowed(state, reader)
    shown = await _reports(state) if role is not None else []
    requests = await _requests(state, account, role)
    return await render(
        request,
        "moderation.html",
        reader=reader,
        staff=role is not None,
        reports=shown,
        requests=requests,
        notice=request.query_params.get("done") in ("report", "request"),
    )


def _id(raw: str) -> int:
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise NotFound()
    return int(raw)


async def close_report(request: Request) -> Response:
    form = await checked_form(request)
    reader = await signed_in(request)
    state: AppState = request.app.state.jamii
    account, role = await _allowed(state, reader)
    if role is None:
        raise Forbidden(MODERATORS_ONLY)
    outcome = "dismissed" if text(form, "outcome") == "dismissed" else "resolved"
    async with state.sessions() as session, session.begin():
        await reports.close_report(
            session, _id(request.path_params["id"]), by=account, outcome=outcome
        )
    return RedirectResponse("/moderation?done=report", status_code=303)


async def answer_request(request: Request) -> Response:
    form = await checked_form(request)
    reader = await signed_in(request)
    state: AppState = request.app.state.jamii
    account, role = await _allowed(state, reader)
    async with state.sessions() as session, session.begin():
        await join_requests.answer(
            session,
            account,
            role,
            community_id=_id(text(form, "community", 20)),
            applicant_id=_id(text(form, "applicant", 20)),
            accept=text(form, "decision") == "accept",
        )
    return RedirectResponse("/moderation?done=request", status_code=303)


routes = [
    Route("/moderation", queue_page, methods=["GET"]),
    Route("/moderation/reports/{id}", close_report, methods=["POST"]),
    Route("/moderation/requests", answer_request, methods=["POST"]),
]
