"""Which handler runs each kind of job: one explicit table, nothing registered implicitly.

To add a kind of job, import its handler here and add it to the dict ``job_handlers``
returns. There are deliberately no decorators and no registration at import time: this
function is the single place a newcomer reads to learn every kind of background work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fedi.domain import polls
from fedi.domain.events import FEDERATE
from fedi.domain.renditions import TRANSLATE, release_federation
from fedi.domain.translator import StatusTranslator
from fedi.federation.context import Federation
from fedi.federation.delivery.deliver import DELIVER, deliverer
from fedi.federation.delivery.federate import federator
from fedi.federation.inbox.process import processor
from fedi.federation.inbox.writer import PROCESS
from fedi.jobs.worker import Handler, JobContext


def job_handlers(
    federation: Federation, translator: StatusTranslator | None = None
) -> dict[str, Handler]:
    """Every job kind this instance runs, mapped to its handler.

    Handlers are built with what they need (the federation context: database sessions, the
    safe fetcher, keys) rather than reaching for globals. A kind missing here is marked
    dead with a "no handler" error when a worker claims it.
    """
    handlers: dict[str, Handler] = {
        # A local teacher did something other servers must hear about.
        FEDERATE: federator(federation),
        # One signed POST of one activity to one remote inbox.
        DELIVER: deliverer(federation),
        # A verified delivery from another server, applied by its activity type's handler.
        PROCESS: processor(federation),
        # A poll ended: its author and voters hear the results are in.
        polls.POLL_ENDED: polls.end_job,
    }
    # A public post into the instance's languages, ahead of its readers. Without an engine
    # the job has nothing to do: it finishes at once and the post stays untranslated.
    handlers[TRANSLATE] = translator.run_job if translator is not None else _no_engine
    return handlers


async def _no_engine(payload: Mapping[str, Any], context: JobContext) -> None:
    # Nothing to wait for: the post's federation goes now.
    async with context.sessions() as session, session.begin():
        await release_federation(session, payload)
