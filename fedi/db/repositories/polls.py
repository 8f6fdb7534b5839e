"""Loading polls as ``PollView``s: one statement for a page's polls and the viewer's votes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BindParameter, and_, bindparam, select

from fedi.db.models import Poll, PollVote
from fedi.db.reads import Reads, connection_of
from fedi.db.repositories.views import PollView

_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
# The viewer's choices ride along on an outer join (at most one row per option), so a page
# of polls costs one round trip; with no viewer the join matches nothing.
_POLLS = (
    select(
        Poll.id,
        Poll.account_id,
        Poll.options,
        Poll.tallies,
        Poll.multiple,
        Poll.hide_totals,
        Poll.expires_at,
        Poll.votes_count,
        Poll.voters_count,
        PollVote.choice,
    )
    .outerjoin(
        PollVote,
        and_(PollVote.poll_id == Poll.id, PollVote.account_id == bindparam("viewer_id")),
    )
    .where(Poll.id.in_(_IDS))
    .order_by(Poll.id, PollVote.choice)
)


async def load_polls(
    session: Reads, ids: Sequence[int], viewer_id: int | None
) -> dict[int, PollView]:
    if not ids:
        return {}
    connection = await connection_of(session)
    result = await connection.execute(_POLLS, {"ids": list(ids), "viewer_id": viewer_id})
    found: dict[int, PollView] = {}
    for (
        poll_id,
        account,
        options,
        tallies,
        multiple,
        hide,
        expires,
        votes,
        voters,
        choice,
    ) in result:
        view = found.get(poll_id)
        if view is None:
            counts = list(tallies or [])
            view = PollView(
                id=poll_id,
                account_id=account,
                options=list(options),
                tallies=[int(counts[i]) if i < len(counts) else 0 for i in range(len(options))],
                multiple=multiple,
                hide_totals=hide,
                expires_at=expires,
                votes_count=votes,
                voters_count=voters,
                viewer_is_author=viewer_id == account,
            )
            found[poll_id] = view
        if choice is not None:
            view.own_votes.append(choice)
    return found
