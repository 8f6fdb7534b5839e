"""Which language a short post is written in, among a configured set of languages.

Teachers' posts are short (a sentence or two) and full of things that belong to no language:
@mentions, links, hashtags, numbers, emoji. Those are stripped first (``clean_text``); what
is left goes to py3langid's naive Bayes model. It was chosen by measurement on this
project's labelled posts (``tests/fixtures/languages/posts.tsv``, run
``python -m benchmarks.langdetect``; figures and reasons in ``docs/translation.md``): on
short and code-switched posts it made fewer mistakes than lingua (both modes) and
fastText's lid.176, Kiswahili most of all, and its confidence separates right answers
from wrong ones well enough to abstain on the wrong ones.

``Detector.detect`` answers ``None`` ("undetermined") rather than guess:
- when fewer than ``min_letters`` letters are left to judge ("ok", "Asante!", "🙏🙏");
- when the text is clearly in a language outside the configured set (Spanish would
  otherwise be called Portuguese, Gĩkũyũ Kiswahili): the model knows 140 languages and
  is asked about all of them before the choice is narrowed to ours;
- when, among our languages, the best one has less than ``min_confidence``.

Cost: loading the model takes 1-3 s and ~90 MB (it is decompressed on first use, once per
process); then a post takes a fraction of a millisecond of pure-Python CPU work that holds
the GIL. From async code, run ``detect`` in a thread (``asyncio.to_thread``) so that the
first call's loading never stalls the event loop; ``load()`` may be called at start-up.
Detectors are safe to share between threads.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The languages Jamii bridges, the default set to choose from.
DEFAULT_LANGUAGES = ("en", "fr", "pt", "sw")

# Below this many letters even a person would hesitate; py3langid's confidence on such
# texts is not to be trusted ("Asante!" comes out Portuguese).
MIN_LETTERS = 10
# On the labelled posts no answer at or above 0.9 was wrong (98.5 % of posts reach it).
MIN_CONFIDENCE = 0.9
# A text whose best language over all 140 is not ours and at least this likely is foreign.
# Code-switched posts of ours never reach it (their best foreign guess stays under 0.3);
# real Spanish, German or Gĩkũyũ sentences score 0.95 and more.
FOREIGN = 0.5
# The language of a post is plain long before this; the model's cost grows with the text.
MAX_CHARS = 1500

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# @user and @user@server.example (fediverse handles), and e-mail addresses.
_MENTION = re.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+)?|\b[\w.+-]+@[\w-]+\.[\w.-]+")
_HASHTAG = re.compile(r"(?<![\w#])#\w+")
_NOT_LETTERS = re.compile(r"[\W\d_]+")


def clean_text(text: str) -> str:
    """The words of ``text`` that say something about its language.

    Links, mentions and hashtags are names, not prose: ``#KCSE2026`` or ``@jean.dupont``
    would pull a Kiswahili post towards whatever language they happen to look like.
    """
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _HASHTAG.sub(" ", text)
    return " ".join(text.split())


def letter_count(text: str) -> int:
    return len(_NOT_LETTERS.sub("", text))


@dataclass(frozen=True)
class Detection:
    """A detected language (ISO 639-1 code) and how sure the detector is, from 0 to 1.

    ``confidence`` is the language's probability among the detector's languages only.
    """

    language: str
    confidence: float


_model: Any = None
_model_lock = threading.Lock()


def load_model() -> Any:
    """py3langid's model, read once per process whatever the detectors' languages."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _model


def preload() -> None:
    """Start reading the model in a background thread, so the first post does not wait."""
    if _model is None:
        threading.Thread(target=load_model, name="langdetect-preload", daemon=True).start()


class Detector:
    """Language detection restricted to ``languages`` (ISO 639-1 codes).

    Cheap to create: the model is shared by every detector and read on first use.
    """

    def __init__(
        self,
        languages: Iterable[str] = DEFAULT_LANGUAGES,
        *,
        min_letters: int = MIN_LETTERS,
        min_confidence: float = MIN_CONFIDENCE,
    ) -> None:
        codes = tuple(dict.fromkeys(code.strip().lower() for code in languages))
        if len(codes) < 2:
            # Detection chooses between languages; with one there is nothing to choose.
            raise ValueError("a detector needs at least two languages")
        self.languages = codes
        self.min_letters = min_letters
        self.min_confidence = min_confidence

    def load(self) -> None:
        """Read the model now (the first ``detect`` reads it otherwise) and check the codes."""
        unknown = set(self.languages) - set(load_model().labels)
        if unknown:
            raise ValueError(f"no detection model for {', '.join(sorted(unknown))}")

    def detect(self, text: str) -> Detection | None:
        """The language of ``text`` (plain text, not HTML), or None when it cannot be told."""
        cleaned = clean_text(text[: MAX_CHARS * 2])[:MAX_CHARS]
        if letter_count(cleaned) < self.min_letters:
            return None
        ranked: list[tuple[str, float]] = load_model().rank(cleaned)
        best_overall, likelihood = ranked[0]
        if best_overall not in self.languages and likelihood >= FOREIGN:
            return None
        ours = [(code, p) for code, p in ranked if code in self.languages]
        total = sum(p for _, p in ours)
        if not ours or total <= 0:
            return None
        language, probability = ours[0]
        confidence = probability / total
        if confidence < self.min_confidence:
            return None
        return Detection(language, round(confidence, 4))
