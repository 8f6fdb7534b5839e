"""The instance actor (FEP-d556): the server itself, which signs our outgoing fetches.

Peers that refuse unsigned GETs (authorized-fetch Mastodon, GoToSocial, bovine) need a
signature on every fetch of an actor or object; signing them as a teacher would tie the
fetch to that teacher, so the server signs as itself.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, AccountKey
from fedi.db.writes import insert_ignore
from fedi.domain.keys import new_key_pair
from fedi.domain.site import Site
from fedi.ids import new_id

USERNAME = "actor"


def instance_actor_uri(site: Site) -> str:
    return f"{site.base_url}/actor"


async def ensure_instance_actor(session: AsyncSession, site: Site) -> Account:
    """The instance actor, created with its key pair the first time it is needed."""
    uri = instance_actor_uri(site)
    found = await session.scalar(select(Account).where(Account.uri == uri))
    if found is not None:
        return found
    private_pem, public_pem = await new_key_pair()
    account_id = new_id()
    # Concurrent first starts (web and worker) race here; the unique uri decides the winner.
    await insert_ignore(
        session,
        Account,
        [
            {
                "id": account_id,
                "username": USERNAME,
                "username_lower": USERNAME,
                "domain": None,
                "actor_type": "Application",
                "display_name": site.domain,
                "note": "",
                "uri": uri,
                "url": f"{site.base_url}/",
                "inbox_url": f"{uri}/inbox",
                "shared_inbox_url": site.shared_inbox_url(),
                "outbox_url": f"{uri}/outbox",
                "public_key_id": f"{uri}#main-key",
                "public_key_pem": public_pem,
                "locked": True,
                "discoverable": False,
                "bot": True,
                "fields": [],
                "also_known_as": [],
            }
        ],
    )
    account = await session.scalar(select(Account).where(Account.uri == uri))
    assert account is not None
    if account.id == account_id:
        session.add(AccountKey(account_id=account_id, private_key_pem=private_pem))
        await session.flush()
    return account
