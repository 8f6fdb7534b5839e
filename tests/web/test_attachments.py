"""Attachments on the pages: a photo as its small rendition, lazy and sized (the page does
not jump), linking to the full picture; a lesson plan's PDF as a download link; an
attachment held on another server as a plain link (no third party's asset in a page)."""

from __future__ import annotations

import re

from sqlalchemy import select

from fedi.db.models import MediaAttachment
from tests.api.client_api import headers
from tests.api.test_media import PDF, picture, upload
from tests.servers import Instance


async def test_a_thread_shows_a_small_lazy_photo_and_a_pdf_link(ke: Instance) -> None:
    auth = await headers(ke, "amina")
    _, photo = await upload(ke, auth, picture("PNG", (1600, 800)), "board.png", "image/png")
    _, plan = await upload(ke, auth, PDF, "fractions.pdf", "application/pdf")
    posted = await ke.client.post(
        "/api/v1/statuses",
        headers=auth,
        json={"status": "Today's board and the lesson plan", "media_ids": [photo["id"]]},
    )
    assert posted.status_code == 200, posted.text
    with_plan = await ke.client.post(
        "/api/v1/statuses",
        headers=auth,
        json={"status": "The lesson plan", "media_ids": [plan["id"]]},
    )
    assert with_plan.status_code == 200, with_plan.text

    page = await ke.client.get(f"/@amina/{posted.json()['id']}")
    assert page.status_code == 200
    image = re.search(r"<img [^>]*>", page.text)
    assert image is not None, page.text
    tag = image.group(0)
    small = f"/media/{str(photo['url']).rsplit('/', 1)[1].replace('.png', '-small.png')}"
    assert f'src="{small}"' in tag
    assert 'loading="lazy"' in tag
    assert 'width="400" height="200"' in tag
    assert 'alt="A file"' in tag
    assert f'href="/media/{str(photo["url"]).rsplit("/", 1)[1]}"' in page.text
    assert (await ke.client.get(small)).status_code == 200

    document = await ke.client.get(f"/@amina/{with_plan.json()['id']}")
    name = str(plan["url"]).rsplit("/", 1)[1]
    assert f'<a href="/media/{name}" download>A file</a>' in document.text
    assert "<img" not in document.text

    # Another server's attachment (no local copy) is a link, never an image in the page.
    async with ke.state.sessions() as session, session.begin():
        media = await session.scalar(
            select(MediaAttachment).where(MediaAttachment.status_id == int(posted.json()["id"]))
        )
        assert media is not None
        media.file_name = None
        media.remote_url = "https://elsewhere.example/files/board.png"
    remote = await ke.client.get(f"/@amina/{posted.json()['id']}")
    assert "<img" not in remote.text
    assert 'href="https://elsewhere.example/files/board.png" rel="nofollow noopener"' in remote.text
