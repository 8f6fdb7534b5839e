"""Media uploads (Mastodon's /api/v1/media and /api/v2/media) and serving them at /media/.

Images are processed while the client waits, so v2 answers 200 with the finished
attachment (Mastodon answers 202 when it processes in the background; clients accept both).
The request body is capped before it is parsed: a Content-Length over the limit is refused
at once, and a body that streams past it is cut off; the multipart parser is told to expect
one file and a handful of fields.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route
from starlette.types import Message

from fedi.api.params import MAX_BODY, Params
from fedi.api.responses import JSONResponse
from fedi.api.units import path_id, reading, signed_in, state_of, writing
from fedi.db.models import MediaAttachment
from fedi.db.repositories.views import MediaView
from fedi.domain import media
from fedi.errors import NotFound, ValidationFailed

SCOPE = "write:media"
# Room for the multipart boundaries and the description/focus fields around the file.
ENVELOPE = 64 * 1024
CACHE = "public, max-age=31536000, immutable"
SANDBOX = "default-src 'none'; sandbox"


def _view(attachment: MediaAttachment) -> MediaView:
    return MediaView(
        attachment.id,
        attachment.type,
        attachment.mime_type,
        attachment.file_name,
        attachment.remote_url,
        attachment.description or "",
        attachment.blurhash,
        attachment.meta or {},
    )


def _too_large(limit_mb: int) -> media.TooLarge:
    return media.TooLarge(f"The file is over {limit_mb} MB")


async def _bounded_body(request: Request, limit: int, limit_mb: int) -> bytes:
    """The whole body, refused (413) as soon as it is known to be over ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ValidationFailed("Invalid Content-Length", field="body")
        if int(declared) > limit:
            raise _too_large(limit_mb)
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise _too_large(limit_mb)
        chunks.append(chunk)
    return b"".join(chunks)


async def _upload(request: Request) -> tuple[bytes, str, str | None]:
    """The file's bytes, the description and the focus from a capped multipart body."""
    config = state_of(request).config
    limit = media.max_bytes(config)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise ValidationFailed("Send the file as multipart/form-data", field="file")
    body = await _bounded_body(request, limit + ENVELOPE, config.limits.media_size_mb)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    bounded = Request(request.scope, replay)
    try:
        form = await bounded.form(max_files=1, max_fields=10, max_part_size=MAX_BODY)
    except Exception as error:  # MultiPartException, or Starlette's 400 for bad bodies
        raise ValidationFailed(f"Invalid upload: {error}", field="file") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("file is missing", field="file")
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise _too_large(config.limits.media_size_mb)
        description = form.get("description")
        focus = form.get("focus")
        return (
            data,
            description if isinstance(description, str) else "",
            focus if isinstance(focus, str) else None,
        )
    finally:
        await form.close()


async def _create(request: Request) -> Response:
    state = state_of(request)
    # Who is asking, before reading a byte of the upload (no transaction held meanwhile).
    async with reading(request) as session:
        await signed_in(request, session, SCOPE)
    data, description, focus = await _upload(request)
    stored: MediaAttachment | None = None
    try:
        async with writing(request) as session:
            account, _ = await signed_in(request, session, SCOPE)
            stored = await media.store_upload(
                session, state.config, account, data, description=description, focus=focus
            )
    except BaseException:
        if stored is not None:  # written and flushed, but the commit failed
            media.discard(state.config, stored)
        raise
    return JSONResponse(state.presenter.media(_view(stored)))


async def create_v1(request: Request) -> Response:
    """POST /api/v1/media."""
    return await _create(request)


async def create_v2(request: Request) -> Response:
    """POST /api/v2/media: 200 with the finished attachment (processing is synchronous)."""
    return await _create(request)


async def show(request: Request) -> Response:
    """GET /api/v1/media/{id}: one's own upload."""
    media_id = path_id(request)
    async with reading(request) as session:
        account, _ = await signed_in(request, session, SCOPE)
        attachment = await media.own_media(session, account, media_id)
        view = _view(attachment)
    return JSONResponse(state_of(request).presenter.media(view))


async def update(request: Request) -> Response:
    """PUT /api/v1/media/{id}: description and focus, until the upload is posted."""
    media_id = path_id(request)
    params = await Params.read(request)
    async with writing(request) as session:
        account, _ = await signed_in(request, session, SCOPE)
        attachment = await media.update_media(
            session, account, media_id, params.text("description"), params.text("focus")
        )
        view = _view(attachment)
    return JSONResponse(state_of(request).presenter.media(view))


async def serve_file(request: Request) -> Response:
    """GET /media/{name}: an upload, inert: nosniff, sandbox CSP, documents as downloads."""
    name: str = request.path_params["name"]
    if not media.NAME.match(name):
        raise NotFound()
    folder = media.media_dir(state_of(request).config)
    path = folder / name
    if path.parent != folder or not path.is_file():
        raise NotFound()
    content_type = media.CONTENT_TYPES[name.rpartition(".")[2]]
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": SANDBOX,
        "Cache-Control": CACHE,
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if content_type.startswith("image/"):
        return FileResponse(path, media_type=content_type, headers=headers)
    return FileResponse(
        path,
        media_type=content_type,
        headers=headers,
        filename=name,
        content_disposition_type="attachment",
    )


routes = [
    Route("/api/v1/media", create_v1, methods=["POST"]),
    Route("/api/v2/media", create_v2, methods=["POST"]),
    Route("/api/v1/media/{id}", show, methods=["GET"]),
    Route("/api/v1/media/{id}", update, methods=["PUT"]),
    Route("/media/{name}", serve_file, methods=["GET", "HEAD"]),
]
