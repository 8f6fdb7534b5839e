"""A Question's answers in other languages (nameMap) become part of the post's renditions
only when every answer has that language: a rendition with half its answers is not one."""

from __future__ import annotations

from fedi.domain.renditions import Rendered
from fedi.federation.convert.incoming import _translations
from fedi.federation.wire import Note


def question(answers: list[dict[str, object]]) -> Note:
    return Note.model_validate(
        {
            "id": "https://sn.example/notes/1",
            "type": "Question",
            "attributedTo": "https://sn.example/users/fatou",
            "content": "<p>On fait un test ?</p>",
            "contentMap": {
                "fr": "<p>On fait un test ?</p>",
                "en": "<p>Shall we have a test?</p>",
                "pt": "<p>Fazemos um teste?</p>",
            },
            "oneOf": answers,
        }
    )


def test_answers_join_the_languages_every_answer_has() -> None:
    note = question(
        [
            {"type": "Note", "name": "Oui", "nameMap": {"fr": "Oui", "en": "Yes", "pt": "Sim"}},
            {"type": "Note", "name": "Non", "nameMap": {"fr": "Non", "en": "No"}},
        ]
    )
    found = _translations(note, "<p>On fait un test ?</p>", "fr")
    assert found == {
        "en": Rendered("<p>Shall we have a test?</p>", "", ("Yes", "No")),
        # Portuguese lacks "Non": its text is kept, its answers are not.
        "pt": Rendered("<p>Fazemos um teste?</p>", "", ()),
    }


def test_a_malformed_name_map_is_ignored() -> None:
    note = question([{"type": "Note", "name": "Oui", "nameMap": ["en", "Yes"]}])
    assert _translations(note, "<p>On fait un test ?</p>", "fr")["en"].poll_options == ()
