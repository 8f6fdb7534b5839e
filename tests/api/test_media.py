"""Uploads from a Mastodon client: Amina photographs the board (the GPS in the photo must not
leave the server), attaches it to a post, and shares a lesson plan as a PDF; files that are not
what they claim, too big or too many pixels are refused, and uploads are served inert."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from tests.api.client_api import call, close_clients, headers, mastodon
from tests.api.oauth_flow import ke
from tests.conftest import Database
from tests.servers import Instance, free_port, serve, write_instance

__all__ = ["close_clients", "ke"]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (640, 480), (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "School camera"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (1.0, 17.0, 0.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (36.0, 49.0, 0.0),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def picture(fmt: str, size: tuple[int, int] = (50, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


async def upload(
    instance: Instance,
    auth: dict[str, str],
    data: bytes,
    name: str,
    mime: str,
    version: str = "v2",
) -> tuple[int, dict[str, object]]:
    response = await instance.client.post(
        f"/api/{version}/media",
        headers=auth,
        files={"file": (name, data, mime)},
        data={"description": "A file"},
    )
    return response.status_code, response.json()


@pytest.fixture
async def small(database: Database, tmp_path: Path) -> AsyncIterator[Instance]:
    """An instance taking uploads of at most 1 MB."""
    config = write_instance(
        tmp_path,
        code="small",
        port=free_port(),
        database_url=database.url,
        extra="[limits]\nmedia_size_mb = 1\n",
    )
    async with serve(config) as instance:
        yield instance


async def test_a_photo_loses_its_gps_and_is_posted(ke: Instance) -> None:
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    amina = await mastodon(ke, "amina")
    attachment = await call(
        amina.media_post,
        io.BytesIO(original),
        mime_type="image/jpeg",
        file_name="board.jpg",
        description="The board after the fractions lesson",
        focus=(0.5, -0.25),
    )
    assert attachment["type"] == "image"
    assert attachment["description"] == "The board after the fractions lesson"
    assert attachment["meta"]["original"]["width"] == 640
    assert attachment["meta"]["original"]["height"] == 480
    assert attachment["meta"]["small"]["width"] <= 400
    assert attachment["meta"]["focus"] == {"x": 0.5, "y": -0.25}

    served = await ke.client.get(attachment["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert "max-age=31536000" in served.headers["cache-control"]
    assert "activity" not in served.headers["content-type"]
    clean = Image.open(io.BytesIO(served.content))
    assert clean.format == "JPEG"
    assert clean.size == (640, 480)
    assert not clean.getexif()
    assert b"School camera" not in served.content

    shown = await call(amina.media, attachment["id"])
    assert shown["id"] == attachment["id"]

    posted = await call(amina.status_post, "Today's board", media_ids=[attachment["id"]])
    [attached] = posted["media_attachments"]
    assert str(attached["id"]) == str(attachment["id"])
    assert attached["description"] == "The board after the fractions lesson"
    again = await ke.client.get(attached["url"])
    assert again.status_code == 200
    assert again.content == served.content

    # Once posted, the upload's description is the post's business (edit the post).
    refused = await ke.client.put(
        f"/api/v1/media/{attachment['id']}",
        headers=await headers(ke, "amina"),
        json={"description": "changed"},
    )
    assert refused.status_code == 404


async def test_a_large_photo_is_resized_with_a_preview(ke: Instance) -> None:
    auth = await headers(ke, "amina")
    status, body = await upload(ke, auth, picture("PNG", (3000, 1500)), "wide.png", "image/png")
    assert status == 200, body
    meta = body["meta"]
    assert isinstance(meta, dict)
    assert meta["original"]["width"] == 2560
    assert meta["original"]["height"] == 1280
    assert meta["small"]["width"] == 400
    served = await ke.client.get(str(body["url"]))
    assert served.headers["content-type"] == "image/png"
    preview = str(body["url"]).replace(".png", "-small.png")
    assert body["preview_url"] == preview
    small = await ke.client.get(preview)
    assert small.status_code == 200
    assert Image.open(io.BytesIO(small.content)).size == (400, 200)


@pytest.mark.parametrize(
    ("fmt", "mime", "served_as"),
    [("WEBP", "image/webp", "image/webp"), ("GIF", "image/gif", "image/png")],
)
async def test_webp_and_gif_are_accepted(ke: Instance, fmt: str, mime: str, served_as: str) -> None:
    auth = await headers(ke, "amina")
    status, body = await upload(ke, auth, picture(fmt), f"picture.{fmt.lower()}", mime, "v1")
    assert status == 200, body
    assert body["type"] == "image"
    served = await ke.client.get(str(body["url"]))
    assert served.headers["content-type"] == served_as


async def test_a_lesson_plan_pdf_is_served_as_a_download(ke: Instance) -> None:
    amina = await mastodon(ke, "amina")
    attachment = await call(
        amina.media_post,
        io.BytesIO(PDF),
        mime_type="application/pdf",
        file_name="fractions-lesson-plan.pdf",
        description="Lesson plan: fractions, week 3",
    )
    assert attachment["type"] == "unknown"  # Mastodon's name for documents
    assert attachment["meta"] == {}
    served = await ke.client.get(attachment["url"])
    assert served.status_code == 200
    assert served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    posted = await call(amina.status_post, "Week 3 plan", media_ids=[attachment["id"]])
    assert posted["media_attachments"][0]["type"] == "unknown"


@pytest.mark.parametrize(
    ("data", "name", "mime", "named"),
    [
        (SVG, "diagram.svg", "image/svg+xml", "SVG"),
        (HTML, "worksheet.html", "text/html", "HTML"),
        (HTML, "photo.png", "image/png", "HTML"),  # renamed, and the client lies too
        (b"MZ\x90\x00 not a picture at all", "photo.jpg", "image/jpeg", "Unsupported"),
    ],
)
async def test_markup_and_disguised_files_are_refused(
    ke: Instance, data: bytes, name: str, mime: str, named: str
) -> None:
    auth = await headers(ke, "amina")
    status, body = await upload(ke, auth, data, name, mime)
    assert status == 422
    assert named in str(body["error"])


@pytest.mark.parametrize(("width", "height"), [(8000, 8000), (30000, 30000)])
async def test_huge_pixel_counts_are_refused(ke: Instance, width: int, height: int) -> None:
    auth = await headers(ke, "amina")
    status, body = await upload(ke, auth, png_claiming(width, height), "bomb.png", "image/png")
    assert status == 422
    assert "too large" in str(body["error"])


async def test_an_oversized_upload_is_413(small: Instance) -> None:
    auth = await headers(small, "amina")
    status, body = await upload(small, auth, PDF + b"0" * (2 * 1024 * 1024), "big.pdf", "x/y")
    assert status == 413
    assert "error" in body
    status, _ = await upload(small, auth, PDF, "fine.pdf", "application/pdf")
    assert status == 200
    media_folder = small.config.data_dir / "media"
    assert len(list(media_folder.iterdir())) == 1  # nothing left from the refused upload


async def test_another_teachers_upload_cannot_be_used(ke: Instance) -> None:
    baraka = await headers(ke, "baraka")
    status, body = await upload(ke, baraka, picture("PNG"), "mine.png", "image/png")
    assert status == 200
    theirs = body["id"]
    amina = await headers(ke, "amina")
    post = await ke.client.post(
        "/api/v1/statuses", headers=amina, json={"status": "Look", "media_ids": [theirs]}
    )
    assert post.status_code == 422
    put = await ke.client.put(
        f"/api/v1/media/{theirs}", headers=amina, json={"description": "mine now"}
    )
    assert put.status_code == 404
    get = await ke.client.get(f"/api/v1/media/{theirs}", headers=amina)
    assert get.status_code == 404
    own = await ke.client.put(
        f"/api/v1/media/{theirs}", headers=baraka, json={"description": "Our garden"}
    )
    assert own.status_code == 200
    assert own.json()["description"] == "Our garden"
    too_long = await ke.client.put(
        f"/api/v1/media/{theirs}", headers=baraka, json={"description": "x" * 1501}
    )
    assert too_long.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/media/..%2Finstance.toml",
        "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/media/../instance.toml",
        "/media/instance.toml",
        "/media/0123456789abcdef0123456789abcdef.html",
        "/media/0123456789abcdef0123456789abcdef.jpg",
        "/media/0123456789ABCDEF0123456789ABCDEF.jpg",
    ],
)
async def test_only_uploads_are_served(ke: Instance, path: str) -> None:
    response = await ke.client.get(path)
    assert response.status_code == 404


async def test_uploading_needs_write_media(ke: Instance) -> None:
    without = await headers(ke, "amina", "read write:statuses")
    status, _ = await upload(ke, without, picture("PNG"), "a.png", "image/png")
    assert status == 403
    status, _ = await upload(ke, without, picture("PNG"), "a.png", "image/png", "v1")
    assert status == 403
    anonymous = await ke.client.post(
        "/api/v2/media", files={"file": ("a.png", picture("PNG"), "image/png")}
    )
    assert anonymous.status_code == 401
    narrow = await headers(ke, "amina", "write:media")
    status, _ = await upload(ke, narrow, picture("PNG"), "a.png", "image/png")
    assert status == 200
