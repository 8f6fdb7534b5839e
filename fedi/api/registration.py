"""POST /api/v1/accounts: signing up from a Mastodon app, by the instance's policy.

As Mastodon: the app calls with its own token (client credentials, ``write:accounts``),
sends ``username``, ``email``, ``password``, ``agreement`` (must be true), ``locale`` and
optionally ``reason``, and gets back a Token for the new teacher with the app token's
scopes. Under ``open`` registration the token works at once; under ``approval`` it works
once an admin approves (until then the API answers 403, as Mastodon's pending accounts
get). Jamii also takes ``invite_code``, so a teacher with an invite can join from an app.
The rules are ``fedi.domain.signup``'s, the same the sign-up page applies.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.api.auth import authenticate
from fedi.api.params import Params
from fedi.api.responses import JSONResponse
from fedi.api.units import state_of, writing
from fedi.db.models import Application
from fedi.domain.oauth import issue_token
from fedi.domain.signup import Applicant, SignupRefused, SignupRules, sign_up
from fedi.domain.site import SUPPORTED_LANGUAGES
from fedi.errors import ValidationFailed

AGREEMENT = "You must accept the server's rules to sign up"


def _refusal(refused: SignupRefused) -> Response:
    """Mastodon's 422 for a refused sign-up: every problem, by field, in ``details``."""
    details: dict[str, list[dict[str, str]]] = {}
    for problem in refused.problems:
        details.setdefault(problem.field or "base", []).append(
            {"error": "ERR_INVALID", "description": problem.message}
        )
    summary = "; ".join(problem.message for problem in refused.problems)
    return JSONResponse(
        {"error": f"Validation failed: {summary}", "details": details}, status_code=422
    )


async def create_account(request: Request) -> Response:
    """POST /api/v1/accounts"""
    params = await Params.read(request)
    state = state_of(request)
    locale = params.text("locale") or state.site.primary_language
    applicant = Applicant(
        username=params.text("username") or "",
        email=params.text("email") or "",
        password=params.text("password") or "",
        invite_code=params.text("invite_code") or "",
        locale=locale if locale in SUPPORTED_LANGUAGES else state.site.primary_language,
    )
    try:
        async with writing(request) as session:
            viewer = await authenticate(request, session, "write:accounts", require_user=False)
            if params.boolean("agreement") is not True:
                raise ValidationFailed(AGREEMENT, field="agreement")
            app = (
                await session.get(Application, viewer.application_id)
                if viewer.application_id is not None
                else None
            )
            rules = SignupRules.from_config(state.config)
            _, user = await sign_up(session, state.site, rules, applicant)
            token, plaintext = await issue_token(session, app=app, user=user, scopes=viewer.scopes)
    except SignupRefused as refused:
        return _refusal(refused)
    return JSONResponse(
        {
            "access_token": plaintext,
            "token_type": "Bearer",
            "scope": token.scopes,
            "created_at": int(token.created_at.timestamp()),
        }
    )


routes = [Route("/api/v1/accounts", create_account, methods=["POST"])]
