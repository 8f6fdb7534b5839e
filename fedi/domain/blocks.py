"""Blocking: a teacher shuts out an account; follows between them end both ways."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.db.models import Account, Block
from fedi.domain import follows
from fedi.domain.events import emit
from fedi.errors import ValidationFailed
from fedi.ids import new_id


async def block(
    session: AsyncSession, account: Account, target: Account, *, uri: str | None = None
) -> Block:
    """Block ``target``; repeating it changes nothing."""
    if account.id == target.id:
        raise ValidationFailed("You cannot block yourself", field="id")
    existing = await session.scalar(
        select(Block).where(Block.account_id == account.id, Block.target_account_id == target.id)
    )
    if existing is not None:
        return existing
    # Follows end quietly both ways: the blocked side's server learns of it from the Block.
    for follower, followed in ((account, target), (target, account)):
        await follows.remove_silently(session, follower, followed)
    block_id = new_id()
    relation = Block(
        id=block_id,
        account_id=account.id,
        target_account_id=target.id,
        uri=uri or f"{account.uri}#blocks/{block_id}",
    )
    session.add(relation)
    await session.flush()
    await emit(session, account, "block.created", block_id=block_id)
    return relation


async def unblock(session: AsyncSession, account: Account, target: Account) -> bool:
    uri = await session.scalar(
        select(Block.uri).where(
            Block.account_id == account.id, Block.target_account_id == target.id
        )
    )
    if uri is None:
        return False
    await session.execute(
        delete(Block).where(Block.account_id == account.id, Block.target_account_id == target.id)
    )
    await emit(session, account, "block.deleted", target_id=target.id, block_uri=uri)
    return True
