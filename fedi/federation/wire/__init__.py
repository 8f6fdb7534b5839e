"""ActivityStreams wire models: what goes over the network, kept apart from the DB models.

Incoming JSON-LD from other servers varies (a reference may be a string, an object or a list;
``to`` may be one string); validators fold those shapes into one typed form, so handlers
never inspect raw dicts.
"""

from fedi.federation.wire.activity import Activity, Envelope
from fedi.federation.wire.actor import Actor, Endpoints, PublicKey
from fedi.federation.wire.common import AS_CONTEXT, PUBLIC, SECURITY_CONTEXT, is_public
from fedi.federation.wire.note import Attachment, Note, TagRef

__all__ = [
    "AS_CONTEXT",
    "PUBLIC",
    "SECURITY_CONTEXT",
    "Activity",
    "Actor",
    "Attachment",
    "Endpoints",
    "Envelope",
    "Note",
    "PublicKey",
    "TagRef",
    "is_public",
]
