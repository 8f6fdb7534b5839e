"""The Mastodon client API's routes, one module per concept.

Listed before ``fedi.api.public``, whose ``/api/v1/accounts/{id}`` would otherwise take
``/api/v1/accounts/verify_credentials`` for an account id.
"""

from __future__ import annotations

from fedi.api import (
    accounts,
    communities,
    credentials,
    follows,
    interactions,
    lists,
    markers,
    mutes,
    notifications,
    pins,
    polls,
    registration,
    search,
    statuses,
    timelines,
    translate,
)

routes = [
    *registration.routes,
    *credentials.routes,
    *accounts.routes,
    *follows.routes,
    *statuses.routes,
    *interactions.routes,
    *timelines.routes,
    *notifications.routes,
    *mutes.routes,
    *pins.routes,
    *polls.routes,
    *lists.routes,
    *markers.routes,
    *search.routes,
    *translate.routes,
    *communities.routes,
]
