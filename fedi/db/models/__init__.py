"""Every model, imported here so ``Base.metadata`` is complete for Alembic and tests."""

from fedi.db.models.accounts import Account, AccountKey, TeacherProfile, User
from fedi.db.models.curation import AccountList, ListAccount, Marker, Mute, StatusPin
from fedi.db.models.federation import Peer, ReceivedActivity
from fedi.db.models.idempotency import IdempotencyKey
from fedi.db.models.jobs import Job
from fedi.db.models.media import MediaAttachment
from fedi.db.models.moderation import Block, DomainRule, Report
from fedi.db.models.notifications import Notification
from fedi.db.models.oauth import AccessToken, Application, AuthorizationCode
from fedi.db.models.polls import Poll, PollVote
from fedi.db.models.social import Bookmark, Favourite, Follow, FollowRequest
from fedi.db.models.statuses import Mention, Status, StatusEdit, StatusTag, Tag, Tombstone

__all__ = [
    "AccessToken",
    "Account",
    "AccountKey",
    "AccountList",
    "Application",
    "AuthorizationCode",
    "Block",
    "Bookmark",
    "DomainRule",
    "Favourite",
    "Follow",
    "FollowRequest",
    "IdempotencyKey",
    "Job",
    "ListAccount",
    "Marker",
    "MediaAttachment",
    "Mention",
    "Mute",
    "Notification",
    "Peer",
    "Poll",
    "PollVote",
    "ReceivedActivity",
    "Report",
    "Status",
    "StatusEdit",
    "StatusPin",
    "StatusTag",
    "Tag",
    "TeacherProfile",
    "Tombstone",
    "User",
]
