"""Cross-border follows for the demo, made once the instances are up.

They go through the same path as a teacher's follow: the follower's instance fetches the
remote actor, records a request and federates a Follow; the other instance accepts.
"""

from __future__ import annotations

from sqlalchemy import select

from fedi.db.models import Account, Follow, FollowRequest
from fedi.demo.data import CROSS_FOLLOWS
from fedi.domain import follows
from fedi.domain.accounts import local_account
from fedi.federation.actors import resolve_account
from fedi.state import AppState


async def connect(states: dict[str, AppState]) -> int:
    """Make the demo's cross-instance follows that do not exist yet; returns how many."""
    made = 0
    for source, follower_name, target_code, target_name in CROSS_FOLLOWS:
        if source not in states or target_code not in states:
            continue
        state = states[source]
        federation = state.federation
        if federation is None:
            continue
        target_uri = state.site.actor_uri(target_name).replace(
            state.site.base_url, states[target_code].site.base_url
        )
        async with state.sessions() as session, session.begin():
            follower = await local_account(session, follower_name)
            if follower is None:
                continue
            target = await resolve_account(federation, session, target_uri)
            known = await session.scalar(
                select(Account.id)
                .join(Follow, Follow.target_account_id == Account.id, isouter=True)
                .join(FollowRequest, FollowRequest.target_account_id == Account.id, isouter=True)
                .where(
                    Account.id == target.id,
                    (Follow.account_id == follower.id) | (FollowRequest.account_id == follower.id),
                )
            )
            if known is None:
                await follows.follow(session, follower, target)
                made += 1
        if state.worker is not None:
            state.worker.wake()
    return made
