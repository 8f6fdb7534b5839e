"""Our communities as FEP-1b12 Group actors."""

from __future__ import annotations

from typing import Any

from fedi.db.models import Account, Community
from fedi.domain.site import Site
from fedi.federation.convert.outgoing import CONTEXT, account_to_actor

# Lemmy's terms, which Mbin, PieFed and NodeBB read too.
GROUP_TERMS: dict[str, Any] = {
    "lemmy": "https://join-lemmy.org/ns#",
    "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
}
GROUP_CONTEXT: list[Any] = [*CONTEXT, GROUP_TERMS]


def community_to_group(account: Account, community: Community, site: Site) -> dict[str, Any]:
    """Our community's Group actor: an actor like any other (key, inbox, followers), plus
    its moderators (``attributedTo``, as Lemmy publishes them), its posting policy and its
    teaching profile as PropertyValues."""
    document = account_to_actor(account, site)
    document["@context"] = GROUP_CONTEXT
    document["attributedTo"] = community.moderators_url or f"{account.uri}/moderators"
    document["postingRestrictedToMods"] = community.posting_policy == "moderators"
    document["sensitive"] = False
    fields: list[dict[str, Any]] = list(document.get("attachment", []))
    for name, value in (
        ("Subject", community.subject),
        ("Grades", ", ".join(community.grade_levels)),
        ("Languages", ", ".join(community.languages)),
        (
            "Posting",
            {"members": "members", "anyone": "anyone", "moderators": "moderators"}[
                community.posting_policy
            ],
        ),
    ):
        if value:
            fields.append({"type": "PropertyValue", "name": name, "value": value})
    for number, rule in enumerate(community.rules, start=1):
        fields.append({"type": "PropertyValue", "name": f"Rule {number}", "value": rule})
    document["attachment"] = fields
    return document
