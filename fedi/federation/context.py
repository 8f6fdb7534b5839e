"""Everything federation code needs at run time, built once per process."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fedi.config import InstanceConfig
from fedi.db.models import Account, AccountKey
from fedi.domain.site import Site
from fedi.federation.delivery.peers import PeerBook
from fedi.federation.fetcher import FetchBudget, Fetcher, Signer
from fedi.federation.inbox.writer import InboxWriter
from fedi.federation.instance_actor import ensure_instance_actor
from fedi.federation.policy import DomainPolicy
from fedi.federation.signatures import KeyCache, load_private_key, sign_cavage, sign_rfc9421
from fedi.federation.signatures.keys import PrivateKey

# Set while a batch of inbox activities holds SQLite's write lock: a fetch there (whole
# seconds on the real network) would keep every other writer waiting, so the activity is
# set aside and applied alone afterwards (``fedi.federation.inbox.batch``).
NO_FETCHES: ContextVar[bool] = ContextVar("jamii_no_fetches", default=False)


class FetchDeferred(Exception):
    """A fetch asked for where none may happen (``NO_FETCHES``). Not a ``FetchError``: no
    handler may take it for a failed fetch and go on without the document."""


@dataclass(frozen=True)
class SignerRef:
    """Who signed a delivery: the owner of a verified key, as the inbox needs it."""

    id: int
    uri: str


@dataclass(frozen=True)
class LocalKey:
    """A local actor's signing key: the parsed key object is cached, never re-read per request."""

    key_id: str
    private_key: PrivateKey


class Federation:
    def __init__(
        self,
        config: InstanceConfig,
        site: Site,
        sessions: async_sessionmaker[AsyncSession],
        fetcher: Fetcher,
    ) -> None:
        self.config = config
        self.site = site
        self.sessions = sessions
        self.fetcher = fetcher
        self.policy = DomainPolicy(config, sessions)
        self.keys = KeyCache()
        # keyId → its owner, beside the key cache: a known peer's delivery needs no query.
        self.key_owners: dict[str, SignerRef] = {}
        self.inbox_writer = InboxWriter(sessions)
        self.peers = PeerBook(sessions)
        self._local_keys: dict[int, LocalKey] = {}
        self._instance_actor: Account | None = None

    async def instance_actor(self) -> Account:
        if self._instance_actor is None:
            async with self.sessions() as session, session.begin():
                self._instance_actor = await ensure_instance_actor(session, self.site)
        return self._instance_actor

    async def local_key(self, account_id: int) -> LocalKey:
        cached = self._local_keys.get(account_id)
        if cached is not None:
            return cached
        async with self.sessions() as session:
            account = await session.get(Account, account_id)
            stored = await session.get(AccountKey, account_id)
        if account is None or stored is None or account.public_key_id is None:
            raise LookupError(f"account {account_id} has no signing key")
        key = LocalKey(account.public_key_id, load_private_key(stored.private_key_pem))
        self._local_keys[account_id] = key
        return key

    def signer(self, key: LocalKey, scheme: str = "cavage") -> Signer:
        def sign(
            method: str, url: str, headers: Mapping[str, str], body: bytes | None
        ) -> Mapping[str, str]:
            if scheme == "rfc9421":
                return sign_rfc9421(
                    method, url, headers, body, key_id=key.key_id, private_key=key.private_key
                )
            return sign_cavage(
                method, url, headers, body, key_id=key.key_id, private_key=key.private_key
            )

        return sign

    async def fetch(
        self, url: str, budget: FetchBudget | None = None
    ) -> tuple[str, dict[str, object]]:
        """An ActivityPub document, fetched with a GET signed by the instance actor."""
        if NO_FETCHES.get():
            raise FetchDeferred(url)
        actor = await self.instance_actor()
        signer = self.signer(await self.local_key(actor.id))
        return await self.fetcher.get_activity_json(url, signer=signer, budget=budget)
