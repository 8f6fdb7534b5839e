"""Cross-border follows and a conversation for the demo, made once the instances are up.

They go through the same path as a teacher's follow: the follower's instance fetches the
remote actor, records a request and federates a Follow; the other instance accepts.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from fedi.db.models import Account, Follow, FollowRequest, Status
from fedi.demo.data import CROSS_FOLLOWS, CROSS_THREAD
from fedi.domain import follows, statuses
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


async def _wait_for(state: AppState, uri: str, seconds: float = 15.0) -> Status | None:
    """The status ``uri`` once federation has brought it to ``state``'s instance."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        async with state.sessions() as session:
            found: Status | None = await session.scalar(select(Status).where(Status.uri == uri))
        if found is not None:
            return found
        await asyncio.sleep(0.2)
    return None


async def converse(states: dict[str, AppState]) -> bool:
    """Post the demo's cross-border thread once (replies wait for the post to arrive)."""
    if any(code not in states for code, *_ in CROSS_THREAD):
        return False
    domains = {code: state.config.domain for code, state in states.items()}
    posted: list[str] = []
    for code, username, text, language, answers in CROSS_THREAD:
        state = states[code]
        parent_id = None
        if answers is not None:
            parent = await _wait_for(state, posted[answers])
            if parent is None:
                return False
            parent_id = parent.id
        async with state.sessions() as session, session.begin():
            author = await local_account(session, username)
            if author is None:
                return False
            if not posted and await session.scalar(
                select(Status.id).where(Status.account_id == author.id, Status.text == text)
            ):
                return False  # posted on an earlier run
            status = await statuses.post(
                session,
                state.site,
                author,
                statuses.Draft(
                    text=text.format(**domains), language=language, in_reply_to_id=parent_id
                ),
            )
            posted.append(status.uri)
        if state.worker is not None:
            state.worker.wake()
    return True
