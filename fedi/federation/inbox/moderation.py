"""Block, Flag (a report) and Move (an account moving to a new home)."""

from __future__ import annotations

from sqlalchemy import select

from fedi.db.models import Account, Follow, Status
from fedi.domain import blocks, follows, reports
from fedi.errors import Forbidden, NotFound, ValidationFailed
from fedi.federation.actors import resolve_account
from fedi.federation.inbox.base import Delivery, Refused


class BlockHandler:
    async def verify(self, delivery: Delivery) -> None:
        await delivery.local_account(delivery.activity.object_id)

    async def receive(self, delivery: Delivery) -> None:
        target = await delivery.local_account(delivery.activity.object_id)
        await blocks.block(delivery.session, delivery.signer, target, uri=delivery.activity.id)


class FlagHandler:
    """A remote server forwards a report about one of our accounts (and its posts)."""

    async def _target(self, delivery: Delivery) -> tuple[Account, list[int]]:
        uris = delivery.objects
        accounts = list(
            await delivery.session.scalars(select(Account).where(Account.uri.in_(uris)))
        )
        local = [a for a in accounts if a.is_local]
        statuses = list(await delivery.session.scalars(select(Status).where(Status.uri.in_(uris))))
        if not local and statuses:
            author = await delivery.session.get(Account, statuses[0].account_id)
            local = [author] if author is not None and author.is_local else []
        if not local:
            raise Refused("the report names none of our accounts")
        target = local[0]
        return target, [s.id for s in statuses if s.account_id == target.id]

    async def verify(self, delivery: Delivery) -> None:
        await self._target(delivery)

    async def receive(self, delivery: Delivery) -> None:
        target, status_ids = await self._target(delivery)
        try:
            await reports.file_report(
                delivery.session,
                delivery.signer,
                target,
                status_ids=status_ids,
                comment=(delivery.activity.content or "")[: reports.MAX_COMMENT],
                uri=delivery.activity.id,
            )
        except ValidationFailed as exc:
            raise Refused(exc.message) from None


class MoveHandler:
    """Followers move with an account when its new home names the old one in alsoKnownAs."""

    async def verify(self, delivery: Delivery) -> None:
        if delivery.activity.object_id != delivery.signer.uri:
            raise Refused("an account moves only itself")
        if not delivery.activity.target:
            raise Refused("no target")

    async def receive(self, delivery: Delivery) -> None:
        old = delivery.signer
        assert delivery.activity.target is not None
        new = await resolve_account(
            delivery.federation,
            delivery.session,
            delivery.activity.target,
            budget=delivery.budget,
            refresh=True,
        )
        if old.uri not in new.also_known_as:
            raise Refused("the new account does not name the old one")
        old.moved_to_account_id = new.id
        local_followers = list(
            await delivery.session.scalars(
                select(Account)
                .join(Follow, Follow.account_id == Account.id)
                .where(Follow.target_account_id == old.id, Account.domain.is_(None))
            )
        )
        for follower in local_followers:
            await follows.unfollow(delivery.session, follower, old)
            try:
                await follows.follow(delivery.session, follower, new)
            except (Forbidden, NotFound, ValidationFailed):
                continue  # blocked or suspended: that follower simply stops following
