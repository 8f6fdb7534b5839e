"""A teacher's plain text made into HTML: links, mentions and hashtags, as Mastodon shows them.

Amina teaches on ke.example (this server), João on mz.example and Fatou on sn.example.
"""

from __future__ import annotations

import random

import pytest

from fedi.domain.html import html_to_text, sanitize_html
from fedi.domain.text import Handle, extract_hashtags, extract_mentions, render_text

AMINA = Handle("amina")
JOAO = Handle("joao", "mz.example")
FATOU = Handle("fatou", "sn.example")
MENTION_URLS = {
    AMINA: "https://ke.example/@amina",
    JOAO: "https://mz.example/@joao",
    FATOU: "https://sn.example/users/fatou",
}
LINK = 'target="_blank" rel="nofollow noopener noreferrer"'


def tag_url(tag: str) -> str:
    return f"https://ke.example/tags/{tag.lower()}"


def render(text: str) -> str:
    return render_text(text, mention_urls=MENTION_URLS, tag_url=tag_url)


def mention_html(url: str, shown: str) -> str:
    return (
        f'<span class="h-card" translate="no"><a href="{url}" class="u-url mention" {LINK}>'
        f"@<span>{shown}</span></a></span>"
    )


def hashtag_html(tag: str) -> str:
    return f'<a href="{tag_url(tag)}" class="mention hashtag" {LINK}>#<span>{tag}</span></a>'


# Empty text, blank lines and escaping


@pytest.mark.parametrize("text", ["", " ", "   \n\t\n  ", "\r\n\r\n", "\x00"])
def test_empty_or_blank_text_renders_nothing(text: str) -> None:
    assert render(text) == ""


def test_blank_lines_separate_paragraphs_and_newlines_break_lines() -> None:
    text = "Habari walimu,\nkaribuni.\n\n\n\nLesson two\n   \nLesson three  "
    assert render(text) == (
        "<p>Habari walimu,<br>karibuni.</p><p>Lesson two</p><p>Lesson three</p>"
    )


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_windows_and_old_mac_line_endings_read_as_newlines(newline: str) -> None:
    text = f"one{newline}two{newline}{newline}three"
    assert render(text) == "<p>one<br>two</p><p>three</p>"


def test_markup_in_text_is_shown_not_run() -> None:
    text = '<script>alert("x")</script> <img src=x onerror=alert(1)> & it\'s'
    assert render(text) == (
        '<p>&lt;script&gt;alert("x")&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;'
        " &amp; it's</p>"
    )


def test_french_spacing_keeps_its_non_breaking_spaces() -> None:
    assert render("«\xa0Bonjour\xa0!\xa0»") == "<p>«&nbsp;Bonjour&nbsp;!&nbsp;»</p>"


# Links


def test_a_short_link_hides_only_its_scheme() -> None:
    assert render("https://example.org/short") == (
        f'<p><a href="https://example.org/short" translate="no" {LINK}>'
        '<span class="invisible">https://</span><span class="">example.org/short</span></a></p>'
    )


def test_a_long_link_shows_thirty_characters_then_an_ellipsis() -> None:
    url = "https://www.example.org/lessons/fractions/grade-5/worksheet.pdf"
    assert render(url) == (
        f'<p><a href="{url}" translate="no" {LINK}>'
        '<span class="invisible">https://www.</span>'
        '<span class="ellipsis">example.org/lessons/fractions/</span>'
        '<span class="invisible">grade-5/worksheet.pdf</span></a></p>'
    )


def test_a_link_of_exactly_thirty_characters_is_not_cut() -> None:
    url = "http://" + "a" * 26 + ".org"
    assert f'<span class="">{"a" * 26}.org</span></a>' in render(url)


def test_links_keep_underscores_query_strings_and_fragments() -> None:
    url = "https://example.org/lesson_plans/maths_1?grade=5&lang=sw#part_2"
    html = render(f"See {url}.")
    assert f'href="{url.replace("&", "&amp;")}"' in html
    assert html.endswith("</a>.</p>")
    assert extract_hashtags(f"See {url}.") == []


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("(see https://example.org/a)", "https://example.org/a"),
        ("https://example.org/a, then", "https://example.org/a"),
        ("https://example.org/a!", "https://example.org/a"),
        ("«https://example.org/a»", "https://example.org/a"),
        ("“https://example.org/a”…", "https://example.org/a"),
        ("https://example.org/a?q=«x»", "https://example.org/a?q=«x»"),
        ("https://en.wikipedia.org/wiki/Swahili_(language)", "https://en.wikipedia.org/wiki/Swahili_(language)"),
    ],
)  # fmt: skip
def test_trailing_punctuation_stays_out_of_links(text: str, url: str) -> None:
    assert f'<a href="{url}" ' in render(text)


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "example.org/no-scheme",
        "www.example.org",
        "ftp://example.org/file",
        "mailto:amina@ke.example",
        "amina@ke.example",
    ],
)
def test_only_http_links_become_links(text: str) -> None:
    assert "<a" not in render(text)


def test_a_quote_in_a_link_cannot_escape_the_attribute() -> None:
    html = render('https://example.org/a"onmouseover="alert(1)')
    assert 'href="https://example.org/a&quot;onmouseover=&quot;alert(1)"' in html
    assert sanitize_html(html) == html


# Mentions


def test_a_local_and_a_remote_teacher_are_mentioned() -> None:
    assert render("@amina @joao@mz.example asante!") == (
        f"<p>{mention_html('https://ke.example/@amina', 'amina')} "
        f"{mention_html('https://mz.example/@joao', 'joao')} asante!</p>"
    )


def test_an_unknown_handle_stays_plain_text() -> None:
    assert render("@nobody and @amina@far.example <3") == (
        "<p>@nobody and @amina@far.example &lt;3</p>"
    )


def test_the_same_username_on_two_servers_shows_the_domains() -> None:
    urls = {
        AMINA: "https://ke.example/@amina",
        Handle("amina", "sn.example"): "https://sn.example/@amina",
    }
    html = render_text("@amina meet @amina@SN.example", mention_urls=urls, tag_url=tag_url)
    assert html == (
        f"<p>{mention_html('https://ke.example/@amina', 'amina')} meet "
        f"{mention_html('https://sn.example/@amina', 'amina@SN.example')}</p>"
    )  # fmt: skip


def test_a_mention_url_that_is_not_a_web_link_is_not_linked() -> None:
    urls = {FATOU: "javascript:alert(1)"}
    html = render_text("@fatou@sn.example", mention_urls=urls, tag_url=tag_url)
    assert html == "<p>@fatou@sn.example</p>"


@pytest.mark.parametrize(
    ("text", "handles"),
    [
        ("@amina", [AMINA]),
        ("@joao@mz.example", [JOAO]),
        ("@joao@MZ.Example, hi", [JOAO]),
        ("Thanks @fatou@sn.example.", [FATOU]),
        ("(@amina) «@amina» “@amina”", [AMINA]),
        ("@amina @joao@mz.example @amina", [AMINA, JOAO]),
        ("@under_score @dot.ted @das-hed @_x", [Handle("under_score"), Handle("dot.ted"),
                                                Handle("das-hed"), Handle("_x")]),
        ("@amina: bonjour", [AMINA]),
        ("@amina@bücher.example", [Handle("amina", "xn--bcher-kva.example")]),
        ("write to amina@ke.example or a@b.org", []),
        ("@@amina", []),
        ("https://ke.example/@amina and ke.example/@amina", []),
        ("x=@amina", []),
        ("@José", []),
        ("@ @. @-x", []),
    ],
)  # fmt: skip
def test_mentions_are_found_where_written(text: str, handles: list[Handle]) -> None:
    assert extract_mentions(text) == handles


def test_a_handle_is_the_same_however_its_domain_is_spelled() -> None:
    assert Handle("fatou", "SN.Example") == FATOU
    assert Handle("x", "BÜCHER.example").domain == "xn--bcher-kva.example"
    assert Handle("fatou", "sn.example.") == FATOU
    for broken in ("a..b", "", "."):
        with pytest.raises(ValueError, match="not a domain name"):
            Handle("x", broken)


# Hashtags


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#éducation #matemática #elimu #Shule", ["éducation", "matemática", "elimu", "Shule"]),
        ("#Éducation et #éducation, #ÉDUCATION!", ["Éducation"]),
        ("#sayansi. #hisabati, (#fizikia)", ["sayansi", "hisabati", "fizikia"]),
        ("#col·legi #2024 #5e #grade_5", ["col·legi", "5e", "grade_5"]),
        ("#e\u0301cole", ["e\u0301cole"]),
        ("#शिक्षा #教育", ["शिक्षा", "教育"]),
        ("#tag· and #·tag", ["tag"]),
        ("a#b &#39; /#x =#y", []),
        ("https://example.org/page#section and #real", ["real"]),
        ("#", []),
    ],
)
def test_hashtags_are_found_in_any_language(text: str, tags: list[str]) -> None:
    assert extract_hashtags(text) == tags


def test_hashtags_link_to_their_tag_page() -> None:
    assert render("Karibu #Elimu, #matemática!") == (
        f"<p>Karibu {hashtag_html('Elimu')}, {hashtag_html('matemática')}!</p>"
    )


def test_a_tag_url_that_is_not_absolute_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="tag_url"):
        render_text("#elimu", mention_urls={}, tag_url=lambda tag: f"/tags/{tag}")


# Everything rendered survives sanitising and reads back as the text


STORIES = [
    "Habari @amina! Tomorrow's #Hisabati lesson: https://example.org/lesson_1?grade=5&lang=sw.",
    "@joao@mz.example obrigada pela #matemática 👏\n\nVer https://pt.example/aulas/frações",
    "«\xa0#Éducation\xa0» avec @fatou@sn.example : https://www.example.org/un/très/long/chemin",
    "<b>not bold</b> & \"quoted\" 'single' \r\nnext line\r\n\r\nlast",
    "a@b.org #123 @nobody@far.example https://example.org/#frag (@amina) [#tag]",
    "javascript:alert(1) data:text/html,x <a href=x onerror=alert(1)>",
]


def random_texts(count: int) -> list[str]:
    words = [
        "@amina", "@joao@mz.example", "@FATOU@SN.EXAMPLE", "@nobody", "#éducation", "#2024",
        "#col·legi", "https://example.org/a_b?c=d&e=f", "https://example.org/" + "x" * 40,
        "a@b.org", "<", ">", "&", '"', "'", "&#39;", "\xa0", " ", "\n", "\n\n", "\r\n", "\t",
        ".", ",", "(", ")", "«", "»", "/", "#", "@", "é", "e\u0301", "😀", "\x00", "\ud800",
        "\x0c", "\u2028", "<script>", "javascript:", "www.example.org",
    ]  # fmt: skip
    generator = random.Random(2024)
    return [
        "".join(generator.choice(words) for _ in range(generator.randint(0, 15)))
        for _ in range(count)
    ]


@pytest.mark.parametrize("text", STORIES + random_texts(400))
def test_rendered_text_passes_the_sanitiser_unchanged(text: str) -> None:
    html = render(text)
    assert sanitize_html(html) == html


@pytest.mark.parametrize(
    "text",
    [
        "Habari @amina, see #elimu",
        "one\ntwo\n\nthree & <four>",
        "https://www.example.org/lessons/fractions/grade-5/worksheet.pdf",
        "«\xa0Bonjour\xa0» #éducation",
    ],
)
def test_rendered_text_reads_back_as_written(text: str) -> None:
    assert html_to_text(render(text)) == text


def test_line_endings_and_blank_lines_read_back_normalised() -> None:
    assert html_to_text(render("  \r\none\r\n\r\n\r\ntwo  \r\n")) == "one\n\ntwo"
