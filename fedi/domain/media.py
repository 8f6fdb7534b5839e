"""Uploads from teachers: photos of the board, lesson plans as PDF.

SECURITY.md, "Media and documents": the type comes from the bytes, never the file name or
the client's Content-Type; only an explicit allowlist is kept (JPEG, PNG, WebP, GIF's first
frame, PDF); images are decoded and re-encoded with Pillow, which drops EXIF (GPS included),
text chunks and anything appended to the file; pixel counts are capped before decoding; files
get random names under ``data_dir/media``. A PDF is kept as sent but is only ever served as a
download (``fedi.api.media``).
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fedi.config import InstanceConfig
from fedi.db.models import Account, MediaAttachment
from fedi.errors import JamiiError, NotFound, ValidationFailed

MAX_PIXELS = 40_000_000
MAX_SIDE = 2560
PREVIEW_SIDE = 400
JPEG_QUALITY = 85
DESCRIPTION_LIMIT = 1500
# Served names: 32 hex digits, "-small" for previews, one of our own extensions.
NAME = re.compile(r"^[0-9a-f]{32}(?:-small)?\.(?:jpg|png|webp|pdf)$")
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}
# Pillow format -> (format written, extension). A GIF keeps its first frame only, as a PNG.
_IMAGE_FORMATS = {
    "JPEG": ("JPEG", "jpg"),
    "PNG": ("PNG", "png"),
    "WEBP": ("WEBP", "webp"),
    "GIF": ("PNG", "png"),
}
_MARKUP = (
    (b"<svg", "SVG"),
    (b"<!doctype svg", "SVG"),
    (b"<!doctype html", "HTML"),
    (b"<html", "HTML"),
    (b"<head", "HTML"),
    (b"<body", "HTML"),
    (b"<script", "HTML"),
    (b"<iframe", "HTML"),
)


class TooLarge(JamiiError):
    """An upload over ``[limits] media_size_mb``: 413, as Mastodon answers."""

    status = 413


@dataclass
class Processed:
    """An upload checked and re-encoded, not yet written anywhere."""

    type: str  # our MediaAttachment.type: "image" or "document"
    mime_type: str
    extension: str
    original: bytes
    preview: bytes | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def media_dir(config: InstanceConfig) -> Path:
    return config.data_dir / "media"


def max_bytes(config: InstanceConfig) -> int:
    return config.limits.media_size_mb * 1024 * 1024


def preview_name(file_name: str) -> str:
    stem, _, extension = file_name.rpartition(".")
    return f"{stem}-small.{extension}"


def _markup(data: bytes) -> str | None:
    """ "SVG" or "HTML" when the bytes are markup (whatever the file was called)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n\f").lower()
    if head.startswith(b"<?xml"):
        return "SVG" if b"<svg" in data[:4096].lower() else "XML"
    for marker, name in _MARKUP:
        if head.startswith(marker):
            return name
    if head.startswith(b"<!--") or head.startswith(b"<!doctype"):
        return "HTML"
    return None


def _dimensions(width: int, height: int) -> dict[str, Any]:
    return {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": width / height if height else 0,
    }


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, exif=b"")
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=JPEG_QUALITY, exif=b"")
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _open_image(data: bytes) -> tuple[Image.Image, str]:
    """The decoded first frame and its Pillow format; 422 for anything unreadable or huge."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data), formats=list(_IMAGE_FORMATS))
            fmt = probe.format or ""
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ValidationFailed(
                    f"The image is too large ({width}x{height}); "
                    f"at most {MAX_PIXELS // 1_000_000} megapixels",
                    field="file",
                )
            probe.verify()
            image = Image.open(io.BytesIO(data), formats=[fmt])
            image.seek(0)
            image.load()
        except ValidationFailed:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationFailed(
                f"The image is too large; at most {MAX_PIXELS // 1_000_000} megapixels",
                field="file",
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ValidationFailed(
                "Unsupported file type: allowed are JPEG, PNG, WebP and GIF images "
                "and PDF documents",
                field="file",
            ) from None
    return image, fmt


def _process_image(data: bytes) -> Processed:
    image, fmt = _open_image(data)
    out_format, extension = _IMAGE_FORMATS[fmt]
    # Turn the pixels the way the camera meant, then forget the camera's metadata.
    image = ImageOps.exif_transpose(image)
    if out_format == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    image.info = {}
    original = image.copy()
    original.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    small = image.copy()
    small.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE), Image.Resampling.LANCZOS)
    return Processed(
        type="image",
        mime_type=Image.MIME[out_format],
        extension=extension,
        original=_encode(original, out_format),
        preview=_encode(small, out_format),
        meta={"original": _dimensions(*original.size), "small": _dimensions(*small.size)},
    )


def process(data: bytes) -> Processed:
    """Sniff ``data`` and make what will be stored (CPU-bound: run it in a thread)."""
    if not data:
        raise ValidationFailed("The file is empty", field="file")
    if data.startswith(b"%PDF-"):
        return Processed(
            type="document", mime_type="application/pdf", extension="pdf", original=data
        )
    markup = _markup(data)
    if markup is not None:
        raise ValidationFailed(f"{markup} files are not allowed", field="file")
    return _process_image(data)


def _focus(focus: str | None) -> dict[str, float] | None:
    if focus is None or not focus.strip():
        return None
    try:
        x, y = (float(part) for part in focus.split(","))
    except ValueError:
        raise ValidationFailed("focus must be two numbers, x,y", field="focus") from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise ValidationFailed("focus must be between -1.0 and 1.0", field="focus")
    return {"x": x, "y": y}


def _description(description: str) -> str:
    if len(description) > DESCRIPTION_LIMIT:
        raise ValidationFailed(
            f"The description is over {DESCRIPTION_LIMIT} characters", field="description"
        )
    return description


def _write(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for name, content in files.items():
            path = folder / name
            with path.open("xb") as handle:  # never over an existing file
                written.append(path)
                handle.write(content)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def discard(config: InstanceConfig, attachment: MediaAttachment) -> None:
    """Remove an upload's files (its row was never committed, or is being deleted)."""
    if not attachment.file_name or not NAME.match(attachment.file_name):
        return
    folder = media_dir(config)
    (folder / attachment.file_name).unlink(missing_ok=True)
    (folder / preview_name(attachment.file_name)).unlink(missing_ok=True)


async def store_upload(
    session: AsyncSession,
    config: InstanceConfig,
    account: Account,
    data: bytes,
    *,
    description: str = "",
    focus: str | None = None,
) -> MediaAttachment:
    """Check, re-encode and store an upload; the row is flushed, the files written.

    If the flush fails the files are removed; a caller whose commit fails later should call
    ``discard``.
    """
    if len(data) > max_bytes(config):
        raise TooLarge(f"The file is over {config.limits.media_size_mb} MB")
    description = _description(description)
    point = _focus(focus)
    processed = await asyncio.to_thread(process, data)
    meta = dict(processed.meta)
    if point is not None and processed.type == "image":
        meta["focus"] = point
    name = f"{secrets.token_hex(16)}.{processed.extension}"
    files = {name: processed.original}
    if processed.preview is not None:
        files[preview_name(name)] = processed.preview
    attachment = MediaAttachment(
        account_id=account.id,
        type=processed.type,
        mime_type=processed.mime_type,
        file_name=name,
        file_size=len(processed.original),
        description=description,
        meta=meta,
    )
    await asyncio.to_thread(_write, media_dir(config), files)
    try:
        session.add(attachment)
        await session.flush()
    except BaseException:
        discard(config, attachment)
        raise
    return attachment


async def own_media(session: AsyncSession, account: Account, media_id: int) -> MediaAttachment:
    """One of the teacher's own uploads; anyone else's answers as unknown (404)."""
    found = await session.scalar(
        select(MediaAttachment).where(
            MediaAttachment.id == media_id, MediaAttachment.account_id == account.id
        )
    )
    if found is None:
        raise NotFound()
    return found


async def update_media(
    session: AsyncSession,
    account: Account,
    media_id: int,
    description: str | None,
    focus: str | None,
) -> MediaAttachment:
    """Change the description or focal point of an upload not yet posted (404 otherwise)."""
    attachment = await own_media(session, account, media_id)
    if attachment.status_id is not None:
        raise NotFound()
    if description is not None:
        attachment.description = _description(description)
    point = _focus(focus)
    if point is not None and attachment.type == "image":
        attachment.meta = {**(attachment.meta or {}), "focus": point}
    await session.flush()
    return attachment
