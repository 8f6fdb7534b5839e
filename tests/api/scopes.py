"""Tokens for scope-matrix tests: a teacher on a served instance holding exactly some scopes.

    token = await token_for(ke, "amina", "read:statuses")
    response = await ke.client.get("/api/v1/timelines/home", headers=bearer(token))

The teacher is created on first use (e-mail ``<username>@school.example``, password
``PASSWORD``); the token belongs to a "scope matrix" app registered with every scope, so
the token's own scopes are the only limit.
"""

from __future__ import annotations

from sqlalchemy import select

from fedi.db.models import Application, User
from fedi.domain import oauth
from fedi.domain.accounts import Registration, local_account, register
from fedi.domain.scopes import SCOPES
from fedi.domain.site import Site
from tests.servers import Instance

PASSWORD = "correct horse battery"
APP_NAME = "scope matrix"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def token_for(instance: Instance, username: str, scopes: str) -> str:
    """A bearer token for ``username`` (created if needed) with exactly ``scopes``."""
    async with instance.state.sessions() as session, session.begin():
        account = await local_account(session, username)
        if account is None:
            account, user = await register(
                session,
                Site.from_config(instance.config),
                Registration(
                    username=username,
                    email=f"{username}@school.example",
                    password=PASSWORD,
                    display_name=username.title(),
                ),
            )
        else:
            found = await session.scalar(select(User).where(User.account_id == account.id))
            assert found is not None, f"{username} has no log-in on this instance"
            user = found
        app = await session.scalar(select(Application).where(Application.name == APP_NAME))
        if app is None:
            app = await oauth.register_app(
                session,
                name=APP_NAME,
                redirect_uris=[oauth.OOB],
                scopes=" ".join(SCOPES),
                website=None,
            )
        _, plaintext = await oauth.issue_token(
            session, app=app, user=user, scopes=oauth.parse_scopes(scopes)
        )
    return plaintext


async def app_token(instance: Instance, scopes: str = "read") -> str:
    """A client_credentials token (an app's own, with no teacher behind it)."""
    async with instance.state.sessions() as session, session.begin():
        app = await oauth.register_app(
            session, name="app only", redirect_uris=[oauth.OOB], scopes=scopes, website=None
        )
        _, plaintext = await oauth.issue_token(
            session, app=app, user=None, scopes=oauth.parse_scopes(scopes)
        )
    return plaintext
