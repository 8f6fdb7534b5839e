"""``jamii serve`` leaves accepted inbox POSTs out of uvicorn's access log, and only those."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from fedi.api.inbox import quiet_accepted_deliveries


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access() -> Iterator[tuple[logging.Logger, Lines]]:
    logger = logging.getLogger("uvicorn.access")
    saved = (logger.__class__, logger.level, logger.propagate)
    lines = Lines()
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, lines
    finally:
        logger.removeHandler(lines)
        logger.__class__, logger.level, logger.propagate = saved


def uvicorn_line(logger: logging.Logger, method: str, path: str, status: int) -> None:
    # What uvicorn's HTTP protocol logs for every response.
    logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", method, path, "1.1", status)


def test_accepted_inbox_posts_leave_no_line_and_everything_else_keeps_its_own(
    access: tuple[logging.Logger, Lines],
) -> None:
    logger, lines = access
    quiet_accepted_deliveries()
    quiet_accepted_deliveries()  # twice, as a second app in the process would: harmless

    uvicorn_line(logger, "POST", "/inbox", 202)
    uvicorn_line(logger, "POST", "/users/amina/inbox", 202)
    uvicorn_line(logger, "POST", "/actor/inbox?x=1", 202)
    uvicorn_line(logger, "POST", "/inbox", 401)  # a refused delivery: operators need it
    uvicorn_line(logger, "POST", "/api/v1/statuses", 202)
    uvicorn_line(logger, "GET", "/inbox", 202)
    logger.info("something else entirely")

    assert lines.lines == [
        '127.0.0.1:5000 - "POST /inbox HTTP/1.1" 401',
        '127.0.0.1:5000 - "POST /api/v1/statuses HTTP/1.1" 202',
        '127.0.0.1:5000 - "GET /inbox HTTP/1.1" 202',
        "something else entirely",
    ]
