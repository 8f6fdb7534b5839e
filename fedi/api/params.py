"""Request parameters as Mastodon reads them: query string, JSON, form or multipart bodies.

Clients disagree on encodings: Mastodon.py sends forms with ``media_ids[]=…`` and booleans
as ``"1"``/``"0"`` (in JSON bodies too), Tusky and Ivory send JSON, browsers send
``fields_attributes[0][name]=…``. Rails folds all of these into one nested structure; so do
we, then every accessor checks its type and refuses bad input with a 422 naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request

from fedi.domain.pagination import MAX_ID, Page
from fedi.errors import ValidationFailed

_TRUE = frozenset({"true", "1", "t", "on", "yes"})
_FALSE = frozenset({"false", "0", "f", "off", "no", ""})
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
MAX_BODY = 1024 * 1024


def _assign(target: dict[str, Any], key: str, value: Any) -> None:
    """Place ``value`` under a Rack-style key: ``a[]`` appends, ``a[b][c]`` nests."""
    match = _KEY.match(key)
    if match is None:
        target[key] = value
        return
    path = [match.group(1), *_SEGMENT.findall(match.group(2))]
    node: Any = target
    for position, name in enumerate(path):
        last = position == len(path) - 1
        following = None if last else path[position + 1]
        if name == "":
            if not isinstance(node, list):
                return  # "a[][b]" after "a[x]": conflicting shapes, ignored as Rails does
            if last:
                node.append(value)
                return
            node.append({})
            node = node[-1]
            continue
        if not isinstance(node, dict):
            return
        if last:
            node[name] = value
            return
        wanted: type = list if following == "" else dict
        if not isinstance(node.get(name), wanted):
            node[name] = wanted()
        node = node[name]


def _fold(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    folded: dict[str, Any] = {}
    for key, value in pairs:
        _assign(folded, key, value)
    return folded


class Params:
    """Typed access to one request's parameters; the body's values win over the query's."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    @classmethod
    async def read(cls, request: Request) -> Params:
        values = _fold(request.query_params.multi_items())
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            values.update(await _body(request))
        return cls(values)

    def __contains__(self, name: str) -> bool:
        return name in self._values and self._values[name] is not None

    def text(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        raise ValidationFailed(f"{name} must be a string", field=name)

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None or not value.strip():
            raise ValidationFailed(f"{name} is missing", field=name)
        return value

    def boolean(self, name: str) -> bool | None:
        value = self._values.get(name)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | str) and str(value).strip().lower() in _TRUE | _FALSE:
            return str(value).strip().lower() in _TRUE
        raise ValidationFailed(f"{name} must be true or false", field=name)

    def flag(self, name: str, default: bool = False) -> bool:
        found = self.boolean(name)
        return default if found is None else found

    def integer(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise ValidationFailed(f"{name} must be a number", field=name)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValidationFailed(f"{name} must be a number", field=name) from None

    def id(self, name: str) -> int | None:
        number = self.integer(name)
        if number is not None and not 0 < number <= MAX_ID:
            raise ValidationFailed(f"{name} is not a valid id", field=name)
        return number

    def strings(self, name: str) -> list[str]:
        """An array parameter: ``name[]=a&name[]=b``, a JSON list, or a single value."""
        value = self._values.get(name)
        if value is None:
            return []
        if isinstance(value, dict):  # name[0]=a&name[1]=b
            value = [value[key] for key in sorted(value, key=_index_order)]
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str | int) and not isinstance(item, bool) for item in items):
            raise ValidationFailed(f"{name} must be a list of strings", field=name)
        return [str(item) for item in items]

    def ids(self, name: str) -> list[int]:
        found: list[int] = []
        for item in self.strings(name):
            if not item.isdigit() or not 0 < int(item) <= MAX_ID:
                raise ValidationFailed(f"{name} must be a list of ids", field=name)
            found.append(int(item))
        return found

    def nested(self, name: str) -> Params:
        """A hash parameter (``source[privacy]=…`` or ``{"source": {...}}``)."""
        value = self._values.get(name)
        if value is None:
            return Params({})
        if not isinstance(value, dict):
            raise ValidationFailed(f"{name} must be an object", field=name)
        return Params(value)

    def pairs(self, name: str) -> list[tuple[str, str]] | None:
        """Name/value pairs such as ``fields_attributes``: indexed hashes or a JSON list."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, dict):
            value = [value[key] for key in sorted(value, key=_index_order)]
        if not isinstance(value, list):
            raise ValidationFailed(f"{name} must be a list of name and value pairs", field=name)
        found: list[tuple[str, str]] = []
        for item in value:
            if not isinstance(item, dict):
                raise ValidationFailed(f"{name} must be a list of name and value pairs", field=name)
            entry = Params(item)
            found.append((entry.text("name") or "", entry.text("value") or ""))
        return found

    def page(self, *, default_limit: int = 20) -> Page:
        """Mastodon's cursors; ``limit`` above twice the default is clamped, as Mastodon does."""
        return Page.of(
            max_id=self.text("max_id"),
            since_id=self.text("since_id"),
            min_id=self.text("min_id"),
            limit=self.text("limit"),
            default_limit=default_limit,
            max_limit=default_limit * 2,
        )

    def raw(self, name: str) -> Any:
        """The value as sent, for Link headers that must repeat a request's own parameters."""
        return self._values.get(name)


def _index_order(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (MAX_ID, key)


async def _body(request: Request) -> dict[str, Any]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise ValidationFailed("The request body is too large", field="body")
        if not raw.strip():
            return {}
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ValidationFailed("The request body is not valid JSON", field="body") from None
        if not isinstance(parsed, dict):
            raise ValidationFailed("The request body must be a JSON object", field="body")
        return parsed
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form(max_part_size=MAX_BODY)
        # Uploaded files (avatars, headers) are not parameters; media has its own endpoints.
        return _fold(
            (key, value) for key, value in form.multi_items() if not isinstance(value, UploadFile)
        )
    return {}
