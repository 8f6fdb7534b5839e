"""Cutting HTML and plain text into what a model may see and what it must not."""

from __future__ import annotations

import pytest

from translation.markup import Piece, join_html, join_text, split_html, split_plain_text

MENTION = (
    '<span class="h-card"><a href="https://ke.example/@amina" class="u-url mention">'
    "@<span>amina</span></a></span>"
)
HASHTAG = (
    '<a href="https://ke.example/tags/maths" class="mention hashtag" rel="tag">'
    "#<span>maths</span></a>"
)
LINK = (
    '<a href="https://example.org/lesson_plan" rel="nofollow noopener" target="_blank">'
    '<span class="invisible">https://</span><span class="">example.org/lesson_plan</span></a>'
)


def texts(pieces: list[Piece]) -> list[str]:
    return [piece.text for piece in pieces if piece.translatable]


def test_html_comes_back_identical_when_nothing_changes() -> None:
    html = f"<p>Hello {MENTION}, see {LINK} and {HASHTAG}!</p><p>Line<br>two &amp; more</p>"
    assert join_html(split_html(html), lambda text: text) == html


def test_only_text_outside_links_code_and_translate_no_reaches_the_model() -> None:
    html = (
        f"<p>Hello {MENTION}, the plan is here: {LINK}</p>"
        "<pre><code>for i in range(3): print(i)</code></pre>"
        '<p><span translate="no">Kiswahili sanifu</span> stays, <code>x_y</code> too.</p>'
    )
    assert texts(split_html(html)) == ["Hello", ", the plan is here:", "stays,", "too."]


def test_translated_text_is_escaped_and_markup_is_kept() -> None:
    html = f"<p><strong>Good</strong> morning {MENTION}</p>"
    out = join_html(split_html(html), lambda text: text.upper() + " <b>&")
    assert out == (
        "<p><strong>GOOD &lt;b&gt;&amp;</strong> MORNING &lt;b&gt;&amp; " + MENTION + "</p>"
    )


@pytest.mark.parametrize(
    "token",
    [
        "https://example.org/a_b?x=1",
        "www.example.org/path",
        "teacher@school.example",
        "@amina",
        "@amina@ke.example",
        "#fractions",
        ":smile:",
        "`x_y`",
        "snake_case_name",
    ],
)
def test_plain_text_protects_links_mentions_tags_shortcodes_and_code(token: str) -> None:
    pieces = split_plain_text(f"Look at {token} today.")
    assert [p.text for p in pieces if not p.translatable and p.text.strip()] == [token]
    assert texts(pieces) == ["Look at", "today."]


def test_a_url_keeps_its_closing_punctuation_out() -> None:
    pieces = split_plain_text("Read https://example.org/guide.")
    assert [p.text for p in pieces] == ["Read", " ", "https://example.org/guide", "."]


def test_whitespace_digits_and_emoji_are_not_sent() -> None:
    assert texts(split_plain_text("  12:30 🙂  ")) == []
    out = join_text(split_plain_text("  Hi there  "), lambda text: f"[{text}]")
    assert out == "  [Hi there]  "
