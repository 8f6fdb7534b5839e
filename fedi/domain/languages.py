"""The language a status is stored with: what its author or their server said, or detected.

Translation needs each status's language, and clients and peers do not always give a right
one. The rules, one place for the client API and federation (docs/translation.md):

- A local post sent without a language gets the detected one; if detection cannot tell
  (too short, unsure, not one of ``Site.detection_languages``), the account's posting
  default; otherwise none.
- A local post sent with a *default* language (the account's posting default or the
  instance's primary language: what clients fill in when the teacher chose nothing) gets
  the detected language instead when detection is at least ``OVERRIDE`` sure it is another
  of our languages. Clients such as Tusky and Ivory send the posting default on every post,
  so a Kiswahili post from an English-default phone would otherwise be labelled English.
- Any other language the author chose is kept as sent.
- A remote post keeps the language its server gave (contentMap or language); only when it
  gave none, or ``und``, is it detected. A peer's explicit choice is never second-guessed:
  its author may have chosen it, and we cannot tell a default from a choice there.

Detection is CPU work (and reads its model on first use), so it runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

from translation.detect import Detection, Detector

# How sure detection must be to replace a client's default language. On the project's
# labelled posts no detection at or above 0.9 was wrong; a replaced language is a bigger
# mistake than a missing one, so the bar for it is higher.
OVERRIDE = 0.99
UNDETERMINED = "und"


async def detect(languages: Sequence[str], text: str) -> Detection | None:
    """The language of plain ``text`` among ``languages``, or None when it cannot be told."""
    if not text.strip():
        return None
    return await asyncio.to_thread(Detector(languages).detect, text)


def _text(text: str, spoiler_text: str) -> str:
    # A content warning is written in the post's language too, and adds evidence.
    return f"{spoiler_text}\n{text}" if spoiler_text else text


async def for_local_post(
    languages: Sequence[str],
    text: str,
    given: str | None,
    *,
    defaults: Collection[str | None],
    spoiler_text: str = "",
    fallback: str | None = None,
) -> str | None:
    """The language to store for a post written here (``given`` is already normalised).

    ``defaults`` are the languages a client sends when the teacher chose none; ``fallback``
    is used when nothing was given and detection cannot tell.
    """
    if given is not None and given != UNDETERMINED and given not in defaults:
        return given
    found = await detect(languages, _text(text, spoiler_text))
    if given is None or given == UNDETERMINED:
        return found.language if found else fallback
    if found is not None and found.language != given and found.confidence >= OVERRIDE:
        return found.language
    return given


async def for_remote_post(
    languages: Sequence[str], text: str, given: str | None, *, spoiler_text: str = ""
) -> str | None:
    """The language to store for a post from another server: its own, else detected."""
    if given and given != UNDETERMINED:
        return given
    found = await detect(languages, _text(text, spoiler_text))
    return found.language if found else None
