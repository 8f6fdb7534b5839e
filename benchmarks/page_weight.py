"""Page weight: bytes (raw and gzip) of the main pages of a seeded instance.

The issue's budget is a thread page of at most 30 KB compressed with no third-party assets,
for teachers on a shared phone over a slow, metered connection; the community and directory
pages are held to the same budget. This serves a real instance (uvicorn on loopback,
SQLite), seeds a teacher, a thread of 20 replies of lesson-sized text, the home timeline,
20 communities (a full directory page) and one community with 20 titled threads through
the domain services, then fetches each page as a browser does
(``Accept-Encoding: gzip``) and as a bare client (identity). Beside each page it prints a
baseline measured in the same run: the same posts' text alone, gzipped, i.e. what the page
would weigh with no markup at all, so the ratio shows the cost of the template.

It also checks that every ``src``/``href`` stays on the instance, and that static assets
carry ``ETag`` and ``Cache-Control`` and answer ``304`` to a revalidation.

    python -m benchmarks.page_weight
"""

from __future__ import annotations

import asyncio
import gzip
import re
import secrets
import socket
import sys
import tempfile
from pathlib import Path

import httpx
from sqlalchemy import select

from benchmarks.serving import served
from fedi.app import create_app
from fedi.config import load_config
from fedi.db import migrate
from fedi.db.models import User
from fedi.domain import communities, community_threads, follows, interactions, reports, statuses
from fedi.domain.accounts import Registration, register
from fedi.domain.community_rank import Acting
from fedi.domain.site import Site
from fedi.state import AppState

THREAD_BUDGET = 30 * 1024
# Pages held to the thread's budget.
BUDGETED = ("thread", "community", "directory", "modlog")
PASSWORD = secrets.token_urlsafe(16)  # amina logs in with it; nobody else knows it
REPLIES = 20
THREADS = 20
COMMUNITIES = 20
LESSON = (
    "Today my Form 2 class tried the fractions lesson with paper strips: each group folded "
    "halves, quarters and eighths, then compared them on the board. The pupils who were "
    "lost with the textbook understood equivalent fractions in ten minutes. I attach the "
    "plan; it needs only paper and a pencil. What did you change for larger classes? "
)
LINK = re.compile(r'(?:src|href)="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def seed(state: AppState) -> tuple[str, int, str]:
    site = Site.from_config(state.config)
    async with state.sessions() as session, session.begin():
        people = []
        for name in ("amina", "wanjiru", "baraka", "neema", "otieno"):
            account, _ = await register(
                session,
                site,
                Registration(
                    username=name,
                    email=f"{name}@school.example",
                    password=PASSWORD if name == "amina" else secrets.token_urlsafe(12),
                    display_name=name.title(),
                ),
            )
            people.append(account)
        root = await statuses.post(session, site, people[0], statuses.Draft(text=LESSON))
        texts = [LESSON]
        parent = root
        for index in range(REPLIES):
            text = f"{LESSON[: 120 + 9 * index]} #{index}"
            texts.append(text)
            author = people[1 + index % (len(people) - 1)]
            parent = await statuses.post(
                session, site, author, statuses.Draft(text=text, in_reply_to_id=parent.id)
            )
        maths = await communities.create(
            session,
            site,
            communities.Settings(
                name="maths",
                display_name="Mathematics, secondary",
                description="Lesson ideas, worksheets and questions for Forms 1-4.",
                subject="mathematics",
                grade_levels=["Form 1", "Form 2", "Form 3", "Form 4"],
                languages=["en", "sw"],
                rules=["Be kind", "Share your sources", "No pupils' names or photos"],
            ),
            creator=people[0],
        )
        for index in range(COMMUNITIES - 1):
            await communities.create(
                session,
                site,
                communities.Settings(
                    name=f"subject{index}",
                    display_name=f"Subject {index}, primary and secondary teachers",
                    subject=f"subject {index}",
                    languages=["en", "sw"],
                ),
                creator=people[0],
            )
        for person in people[1:]:
            await communities.join(session, person, maths.account)
        threads = []
        for index in range(THREADS):
            thread = await statuses.post(
                session,
                site,
                people[1 + index % (len(people) - 1)],
                statuses.Draft(
                    text=f"{LESSON[: 200 + 5 * index]} #{index}",
                    community_id=maths.account.id,
                    title=f"Fractions with paper strips, idea {index}",
                ),
            )
            threads.append(thread.id)
        # Moderation: two threads pinned, one locked (the modlog page has entries to show).
        acting = Acting(by=people[0])
        for status_id in threads[:2]:
            await community_threads.pin(session, maths.account, status_id, True, acting=acting)
        await community_threads.lock(
            session, maths.account, threads[0], True, "Answered", acting=acting
        )
        # Amina administers the instance: her notifications, searches and admin pages too.
        user = await session.scalar(select(User).where(User.account_id == people[0].id))
        assert user is not None
        user.role = "admin"
        for other in people[1:]:
            await follows.follow(session, other, people[0])
            await interactions.favourite(session, other, root.id)
        await reports.file_report(
            session, people[1], people[2], status_ids=[parent.id], comment="Off topic"
        )
    return "amina", root.id, "\n".join(texts)


async def log_in(client: httpx.AsyncClient, username: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on /login"
    answer = await client.post(
        "/login", data={"login": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert answer.status_code == 303, answer.text


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


async def fetch(client: httpx.AsyncClient, path: str) -> tuple[int, int, httpx.Response]:
    """(raw bytes, bytes on the wire with gzip, response)."""
    plain = await client.get(path, headers={"Accept-Encoding": "identity"})
    wire = 0
    async with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as streamed:
        async for chunk in streamed.aiter_raw():
            wire += len(chunk)
        encoding = streamed.headers.get("content-encoding", "identity")
    if encoding != "gzip":
        wire = -wire  # marks an uncompressed answer
    return len(plain.content), wire, plain


def third_party(html: str, base: str) -> list[str]:
    return [
        url
        for url in LINK.findall(html)
        if not (url.startswith("/") and not url.startswith("//"))
        and not url.startswith(base)
        and not url.startswith("#")
    ]


async def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="jamii-weight-"))
    port = free_port()
    url = f"sqlite+aiosqlite:///{folder / 'jamii.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    (folder / "ke").mkdir()
    (folder / "ke" / "instance.toml").write_text(
        f'domain = "127.0.0.1:{port}"\ndev_insecure = true\n'
        '[instance]\nname = "Kenya Teachers"\ncountry = "KE"\n'
        'description = "The Ministry of Education\'s network for teachers."\n'
        '[languages]\nprimary = "en"\nbridged = ["sw"]\n'
        f'[database]\nurl = "{url}"\n[registration]\npolicy = "invite"\n',
        encoding="utf-8",
    )
    config = load_config(folder / "ke", environ={})
    app = create_app(config)
    failures = 0
    async with served(app, port):
        username, thread_id, texts = await seed(app.state.jamii)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            pages = {
                "home": "/",
                "profile": f"/@{username}",
                "thread": f"/@{username}/{thread_id}",
                "sign-up": "/signup",
                "log-in": "/login",
                "community": "/communities/maths",
                "directory": "/communities",
                "modlog": "/communities/maths/modlog",
            }
            # Pages for a signed-in teacher (and admin), fetched with her session cookie.
            signed_in = {
                "notifications": "/notifications",
                "search": "/search?q=fractions",
                "moderation": "/moderation",
                "community (mod)": "/communities/maths",
                "members": "/communities/maths/members",
                "admin/settings": "/admin/settings",
                "admin/federation": "/admin/federation",
                "admin/signups": "/admin/signups",
                "admin/roster": "/admin/roster",
                "report": f"/report?status={thread_id}",
            }
            print(f"{'page':<18}{'raw B':>9}{'gzip B':>9}   baseline: text alone gzip B")
            for name, path in pages.items():
                raw, wire, response = await fetch(client, path)
                assert response.status_code == 200, (path, response.status_code)
                baseline = (
                    f"{gz(texts.encode()):>7} ({wire / gz(texts.encode()):.1f}x)"
                    if name == "thread"
                    else ""
                )
                print(f"{name:<18}{raw:>9}{wire:>9}   {baseline}")
                outside = third_party(response.text, base)
                if outside:
                    print(f"  third-party references on {name}: {outside}")
                    failures += 1
                if name in BUDGETED and not 0 < wire <= THREAD_BUDGET:
                    print(f"  {name} page over budget: {wire} > {THREAD_BUDGET} bytes compressed")
                    failures += 1
            await log_in(client, username)
            for name, path in signed_in.items():
                raw, wire, response = await fetch(client, path)
                assert response.status_code == 200, (path, response.status_code)
                print(f"{name:<18}{raw:>9}{wire:>9}")
                outside = third_party(response.text, base)
                if outside:
                    print(f"  third-party references on {name}: {outside}")
                    failures += 1
            print()
            for path in ("/static/jamii.css", "/brand.css"):
                raw, wire, response = await fetch(client, path)
                etag = response.headers.get("etag")
                cache = response.headers.get("cache-control", "")
                again = await client.get(path, headers={"If-None-Match": etag}) if etag else None
                revalidated = again.status_code if again is not None else "-"
                print(
                    f"{path:<18} raw {raw} B, gzip {wire} B, Cache-Control: {cache or 'none'}, "
                    f"ETag: {'yes' if etag else 'no'}, revalidation: {revalidated}"
                )
                if "max-age" not in cache:
                    failures += 1
            verdict = "OK" if not failures else "FAILED"
            print(f"\nbudget {THREAD_BUDGET} B compressed ({', '.join(BUDGETED)}); {verdict}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
