"""Which handler runs each kind of job: one explicit table, nothing registered implicitly.

To add a kind of job, import its handler here and add it to the dict ``job_handlers``
returns. There are deliberately no decorators and no registration at import time: this
function is the single place a newcomer reads to learn every kind of background work.
"""

from __future__ import annotations

from fedi.config import InstanceConfig
from fedi.jobs.worker import Handler


def job_handlers(config: InstanceConfig) -> dict[str, Handler]:
    """Every job kind this instance runs, mapped to its handler.

    ``config`` lets a handler be built with what it needs (HTTP client settings, translation
    engines) rather than reaching for globals. A kind missing here is marked dead with a
    "no handler" error when a worker claims it.
    """
    return {}
