"""Every model, imported here so ``Base.metadata`` is complete for Alembic and tests."""

from fedi.db.models.accounts import Account, AccountKey, TeacherProfile, User
from fedi.db.models.communities import Community, CommunityPost, CommunityRole, ModlogEntry
from fedi.db.models.curation import AccountList, ListAccount, Marker, Mute, StatusPin
from fedi.db.models.federation import Peer, ReceivedActivity
from fedi.db.models.idempotency import IdempotencyKey
from fedi.db.models.jobs import Job
from fedi.db.models.media import MediaAttachment
from fedi.db.models.moderation import Block, DomainRule, Report
from fedi.db.models.notifications import Notification
from fedi.db.models.oauth import AccessToken, Application, AuthorizationCode
from fedi.db.models.overrides import InstanceOverride
from fedi.db.models.polls import Poll, PollVote
from fedi.db.models.preferences import ReadingPreferences
from fedi.db.models.renditions import Rendition, TranslationApiKey
from fedi.db.models.sessions import BrowserSession
from fedi.db.models.signup import ActivationCode, Invite
from fedi.db.models.social import Bookmark, Favourite, Follow, FollowRequest
from fedi.db.models.statuses import Mention, Status, StatusEdit, StatusTag, Tag, Tombstone

__all__ = [
    "AccessToken",
    "Account",
    "AccountKey",
    "AccountList",
    "ActivationCode",
    "Application",
    "AuthorizationCode",
    "Block",
    "Bookmark",
    "BrowserSession",
    "Community",
    "CommunityPost",
    "CommunityRole",
    "DomainRule",
    "Favourite",
    "Follow",
    "FollowRequest",
    "IdempotencyKey",
    "InstanceOverride",
    "Invite",
    "Job",
    "ListAccount",
    "Marker",
    "MediaAttachment",
    "Mention",
    "ModlogEntry",
    "Mute",
    "Notification",
    "Peer",
    "Poll",
    "PollVote",
    "ReadingPreferences",
    "ReceivedActivity",
    "Rendition",
    "Report",
    "Status",
    "StatusEdit",
    "StatusPin",
    "StatusTag",
    "Tag",
    "TeacherProfile",
    "Tombstone",
    "TranslationApiKey",
    "User",
]
