"""The presenter's plain-JSON statuses (timelines serialise them with orjson, no models) are
exactly the Mastodon entities: every key, in the entity's order, with the entity's types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel

from fedi.api import entities
from fedi.api.presenters import Presenter
from fedi.api.responses import JSONResponse
from fedi.db.models import TeacherProfile
from fedi.db.repositories.views import AccountView, MediaView, MentionView, StatusView
from fedi.domain.site import Site

SITE = Site(domain="ke.example", base_url="https://ke.example", primary_language="en")
WHEN = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


def _account(id_: int, domain: str | None = None, **changes: Any) -> AccountView:
    values: dict[str, Any] = {
        "id": id_,
        "username": f"teacher{id_}",
        "domain": domain,
        "display_name": "Amina",
        "note": "<p>Maths</p>",
        "uri": f"https://{domain or 'ke.example'}/users/teacher{id_}",
        "url": None,
        "actor_type": "Person",
        "locked": False,
        "bot": False,
        "avatar_url": None,
        "header_url": "https://cdn.example/h.png",
        "fields": [{"name": "Blog", "value": "<a href='https://b.example'>b</a>"}],
        "created_at": WHEN,
        "last_status_at": WHEN,
        "statuses_count": 3,
        "followers_count": 2,
        "following_count": 1,
    }
    return AccountView(**(values | changes))


def _status(id_: int, **changes: Any) -> StatusView:
    values: dict[str, Any] = {
        "id": id_,
        "uri": f"https://ke.example/users/teacher1/statuses/{id_}",
        "url": None,
        "account": _account(1),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog": None,
        "content": "<p>Fractions!</p>",
        "text": "Fractions!",
        "spoiler_text": "",
        "sensitive": False,
        "language": "en",
        "visibility": "public",
        "local": True,
        "created_at": WHEN,
        "edited_at": None,
        "replies_count": 0,
        "reblogs_count": 1,
        "favourites_count": 2,
    }
    return StatusView(**(values | changes))


def _rich() -> StatusView:
    original = _status(
        10,
        account=_account(2, "tz.example", url="https://tz.example/@teacher2", bot=True),
        media=[
            MediaView(5, "image", "image/png", "abc.png", None, "A chart", "LKO2", {"w": 1}),
            MediaView(6, "video", "video/mp4", None, "https://tz.example/v.mp4", "", None, {}),
            MediaView(7, "other", "application/pdf", None, None, "", None, {}),
        ],
        mentions=[MentionView(1, "teacher1", None, None, "https://ke.example/users/teacher1")],
        tags=["Maths", "kiswahili"],
        in_reply_to_id=9,
        in_reply_to_account_id=1,
        edited_at=WHEN,
        sensitive=True,
        spoiler_text="cw",
        favourited=True,
        bookmarked=True,
    )
    return _status(11, reblog=original, reblogged=True, pinned=True, content="")


def _same_as_entity(data: dict[str, Any], model: type[BaseModel]) -> None:
    entity = model.model_validate(data)
    assert list(data) == list(model.model_fields)
    assert entity.model_dump() == data
    assert orjson.loads(entity.__pydantic_serializer__.to_json(entity)) == orjson.loads(
        orjson.dumps(data)
    )


def test_a_status_as_json_is_the_status_entity() -> None:
    presenter = Presenter(SITE)
    for view in (_status(1), _rich()):
        for with_source in (False, True):
            data = presenter.status_json(view, with_source=with_source)
            _same_as_entity(data, entities.Status)
            assert presenter.status(view, with_source=with_source).model_dump() == data
    rich = presenter.status_json(_rich())
    reblog = rich["reblog"]
    assert [m["type"] for m in reblog["media_attachments"]] == ["image", "video", "unknown"]
    assert reblog["media_attachments"][0]["preview_url"] == "https://ke.example/media/abc-small.png"
    assert reblog["tags"][0] == {"name": "maths", "url": "https://ke.example/tags/maths"}
    assert reblog["account"]["acct"] == "teacher2@tz.example"
    assert reblog["in_reply_to_id"] == "9"
    assert rich["account"]["avatar"] == "https://ke.example/static/avatar.png"


def test_an_account_as_json_is_the_account_entity_with_the_teacher_profile() -> None:
    presenter = Presenter(SITE)
    profile = TeacherProfile(
        account_id=1, school="Moshi <Secondary>", subjects=["maths"], grade_levels=[], languages=[]
    )
    data = presenter.account_json(_account(1), profile)
    _same_as_entity(data, entities.Account)
    assert [f["value"] for f in data["fields"]][1:] == ["Moshi &lt;Secondary&gt;", "maths"]
    assert presenter.account(_account(1), profile).model_dump() == data


def test_a_page_of_statuses_renders_as_its_entities_would() -> None:
    presenter = Presenter(SITE)
    views = [_rich(), _status(1)]
    plain = JSONResponse(presenter.statuses(views)).body
    models = JSONResponse([presenter.status(v) for v in views]).body
    assert orjson.loads(plain) == orjson.loads(models)
