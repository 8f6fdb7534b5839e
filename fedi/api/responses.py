"""JSON responses (orjson) and the mapping of errors to Mastodon's ``{"error": ...}`` shape."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from fedi.errors import JamiiError


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, BaseModel):
            return content.__pydantic_serializer__.to_json(content)
        if isinstance(content, list) and content and isinstance(content[0], BaseModel):
            return (
                b"["
                + b",".join(item.__pydantic_serializer__.to_json(item) for item in content)
                + b"]"
            )
        return orjson.dumps(content)


def error_response(error: JamiiError) -> JSONResponse:
    # Unavailable (503) and a spent rate limit (429) tell the client when to come back.
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else None
    return JSONResponse({"error": error.message}, status_code=error.status, headers=headers)


async def jamii_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, JamiiError)
    return error_response(exc)
