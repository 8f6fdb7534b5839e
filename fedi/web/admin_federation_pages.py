"""``/admin/federation``: block, allow and unblock other servers, as ``jamii federation
block|allow|unblock|list`` do (``fedi.federation.policy.set_rule``). The change holds in
this process at once (the policy is reloaded); other processes pick it up within 30 s."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.federation.policy import list_rules, set_rule
from fedi.state import AppState
from fedi.web.access import admin
from fedi.web.forms import checked_form, text
from fedi.web.messages import N_
from fedi.web.rendering import Reader, render

NOT_A_DOMAIN = N_("Enter a server's domain, such as teachers.example.org.")
BLOCKED = N_("%(domain)s is blocked.")
ALLOWED = N_("%(domain)s is allowed.")
REMOVED = N_("The rule for %(domain)s is removed.")


async def _page(
    request: Request,
    reader: Reader,
    status_code: int = 200,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    state: AppState = request.app.state.jamii
    async with state.readers() as session:
        rules = await list_rules(session)
    return await render(
        request,
        "admin_federation.html",
        status_code,
        reader=reader,
        rules=rules,
        values=values or {},
        errors=errors or {},
        notice=notice,
    )


async def federation_page(request: Request) -> Response:
    return await _page(request, await admin(request))


async def _change(
    request: Request, reader: Reader, domain: str, policy: str | None, reason: str
) -> str | None:
    """Apply the rule; None when ``domain`` is no domain."""
    state: AppState = request.app.state.jamii
    try:
        async with state.sessions() as session, session.begin():
            await set_rule(session, domain, policy, reason)
    except ValueError:
        return None
    if state.federation is not None:
        await state.federation.policy.refresh(force=True)
    message = {"block": BLOCKED, "allow": ALLOWED}.get(policy or "", REMOVED)
    return reader.gettext(message) % {"domain": domain}


async def add_rule(request: Request) -> Response:
    form = await checked_form(request)
    reader = await admin(request)
    values = {"domain": text(form, "domain", 255).lower(), "reason": text(form, "reason", 500)}
    policy = "allow" if text(form, "policy") == "allow" else "block"
    notice = await _change(request, reader, values["domain"], policy, values["reason"])
    if notice is None:
        errors = {"domain": reader.gettext(NOT_A_DOMAIN)}
        return await _page(request, reader, 422, values=values, errors=errors)
    return await _page(request, reader, notice=notice)


async def remove_rule(request: Request) -> Response:
    form = await checked_form(request)
    reader = await admin(request)
    notice = await _change(request, reader, text(form, "domain", 255), None, "")
    if notice is None:
        errors = {"domain": reader.gettext(NOT_A_DOMAIN)}
        return await _page(request, reader, 422, errors=errors)
    return await _page(request, reader, notice=notice)


routes = [
    Route("/admin/federation", federation_page, methods=["GET"]),
    Route("/admin/federation", add_rule, methods=["POST"]),
    Route("/admin/federation/remove", remove_rule, methods=["POST"]),
]
