"""Who may sign up, and how: the instance's registration policy applied in one place.

Policies (``[registration] policy``): ``open`` (anyone, active at once), ``approval``
(anyone, active once an admin approves), ``invite`` (an invite code is needed), ``roster``
(the ministry imports its teachers, who activate with a code; see ``fedi.domain.roster``).
An invite code works under every policy and skips approval, as Mastodon's do.
``[features] open_registration = false`` closes sign-up whatever the policy says.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.config import InstanceConfig
from fedi.db.models import Account, User
from fedi.domain import invites
from fedi.domain.accounts import Registration, register, registration_problems, taken_problems
from fedi.domain.site import Site
from fedi.errors import Forbidden, JamiiError, NotFound, ValidationFailed

CLOSED = "Sign-up is closed on this instance."
INVITE_NEEDED = "An invite code is needed to join this instance. Ask your school or ministry."
ROSTER_ONLY = (
    "Accounts on this instance are made by the ministry. If you received an activation "
    "code, activate your account instead."
)


@dataclass(frozen=True)
class SignupRules:
    policy: str
    open: bool
    email_verification: bool

    @classmethod
    def from_config(cls, config: InstanceConfig) -> SignupRules:
        return cls(
            policy=config.registration.policy,
            open=config.features.open_registration,
            email_verification=config.registration.email_verification,
        )

    @property
    def accepts_strangers(self) -> bool:
        """Whether someone without an invite may sign up at all."""
        return self.open and self.policy in ("open", "approval")

    @property
    def needs_approval(self) -> bool:
        return self.policy == "approval"


@dataclass(frozen=True)
class Applicant:
    username: str
    email: str
    password: str
    display_name: str = ""
    invite_code: str = ""
    locale: str = "en"


class SignupRefused(ValidationFailed):
    """Every problem with a sign-up at once, by field (the first is the error's message)."""

    def __init__(self, problems: list[JamiiError]) -> None:
        first = problems[0]
        super().__init__(first.message, field=first.field)
        self.problems = problems


async def sign_up(
    session: AsyncSession, site: Site, rules: SignupRules, applicant: Applicant
) -> tuple[Account, User]:
    """Create the applicant's account if the policy lets them in; nothing is written
    otherwise. The account is active unless the policy asks for approval (and no invite
    was given) or the instance verifies e-mail addresses."""
    if not rules.open:
        raise Forbidden(CLOSED)
    registration = Registration(
        username=applicant.username,
        email=applicant.email,
        password=applicant.password,
        display_name=applicant.display_name,
        locale=applicant.locale,
        approved=rules.policy == "open" or bool(applicant.invite_code),
        confirmed=not rules.email_verification,
    )
    problems = registration_problems(registration)
    invite = None
    if applicant.invite_code:
        try:
            invite = await invites.usable_invite(session, applicant.invite_code)
        except ValidationFailed as exc:
            problems.append(exc)
    elif not rules.accepts_strangers:
        message = ROSTER_ONLY if rules.policy == "roster" else INVITE_NEEDED
        problems.append(ValidationFailed(message, field=invites.FIELD))
    if not problems:
        problems = await taken_problems(session, registration)
    if problems:
        raise SignupRefused(problems)
    account, user = await register(session, site, registration)
    if invite is not None:
        await invites.use_invite(session, invite)
    return account, user


# Approval ---------------------------------------------------------------------------------

NOT_PENDING = "This sign-up is no longer waiting for approval."


async def pending_signups(session: AsyncSession, limit: int = 100) -> list[tuple[Account, User]]:
    """Accounts waiting for an admin's approval (``approval`` policy), oldest first."""
    rows = await session.execute(
        select(Account, User)
        .join(User, User.account_id == Account.id)
        .where(User.approved.is_(False), User.disabled.is_(False))
        .order_by(User.id)
        .limit(limit)
    )
    return [(account, user) for account, user in rows]


async def _pending(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None or user.approved or user.disabled:
        raise NotFound(NOT_PENDING)
    return user


async def approve_signup(session: AsyncSession, user_id: int) -> User:
    """The account becomes active: its teacher can log in."""
    user = await _pending(session, user_id)
    user.approved = True
    return user


async def reject_signup(session: AsyncSession, user_id: int) -> None:
    """The account is deleted, as Mastodon does: it never posted nor federated, and its
    username and address become free again."""
    user = await _pending(session, user_id)
    await session.execute(delete(Account).where(Account.id == user.account_id))
