"""Seeding an instance with the demo's teachers and posts, through the domain services.

Idempotent: a seeded instance is recognised by its first teacher and left as it is, so the
demo keeps what people did in it across restarts.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from fedi.config import InstanceConfig
from fedi.db.engine import session_factory
from fedi.db.models import Status, TeacherProfile
from fedi.demo.data import COMMUNITIES, DEMO_PASSWORD, SEEDS, Seed
from fedi.domain import communities, follows, statuses
from fedi.domain.accounts import Registration, local_account, register
from fedi.domain.polls import PollDraft
from fedi.domain.profiles import ProfileUpdate, update_profile
from fedi.domain.site import Site

DEMO_POLL_SECONDS = 7 * 24 * 3600  # a week for colleagues to answer the demo's question


def seed_for(config: InstanceConfig) -> Seed | None:
    return SEEDS.get(config.code)


def login_email(config: InstanceConfig, username: str) -> str:
    return f"{username}@{config.code}.jamii.example"


async def seed(engine: AsyncEngine, config: InstanceConfig) -> bool:
    """Seed the instance once; returns False when it was already seeded (or has no seed)."""
    data = seed_for(config)
    if data is None:
        return False
    site = Site.from_config(config)
    async with session_factory(engine)() as session, session.begin():
        if await local_account(session, data.teachers[0].username) is not None:
            return False
        accounts = {}
        for teacher in data.teachers:
            account, _ = await register(
                session,
                site,
                Registration(
                    username=teacher.username,
                    email=login_email(config, teacher.username),
                    password=DEMO_PASSWORD,
                    display_name=teacher.display_name,
                    role=teacher.role,
                    locale=config.languages.primary,
                ),
            )
            profile = await session.get(TeacherProfile, account.id)
            assert profile is not None
            await update_profile(
                session,
                site,
                account,
                profile,
                ProfileUpdate(
                    note=teacher.bio,
                    school=teacher.school,
                    country=config.instance.country,
                    subjects=list(teacher.subjects),
                    grade_levels=list(teacher.grades),
                    languages=list(teacher.languages),
                ),
            )
            accounts[teacher.username] = account
        for community in COMMUNITIES.get(config.code, ()):
            await communities.create(
                session,
                site,
                communities.Settings(
                    name=community.name,
                    display_name=community.display_name,
                    description=community.description,
                    subject=community.subject,
                    grade_levels=list(community.grades),
                    languages=list(community.languages),
                    rules=list(community.rules),
                    visibility=community.visibility,
                ),
                creator=accounts[community.moderator],
            )
        for follower, target in data.follows:
            await follows.follow(session, accounts[follower], accounts[target])
        posted: list[Status] = []
        for post in data.posts:
            reply_to = posted[post.reply_to].id if post.reply_to is not None else None
            posted.append(
                await statuses.post(
                    session,
                    site,
                    accounts[post.author],
                    statuses.Draft(
                        text=post.text,
                        language=post.language,
                        in_reply_to_id=reply_to,
                        poll=PollDraft(post.poll, DEMO_POLL_SECONDS) if post.poll else None,
                    ),
                )
            )
    return True
