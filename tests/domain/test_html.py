"""Stored HTML: what survives sanitising, and the plain text read back for search."""

from __future__ import annotations

import random

import pytest

from fedi.domain.html import escape_attribute, escape_text, html_to_text, sanitize_html

LINK = 'target="_blank" rel="nofollow noopener noreferrer"'


def test_a_mastodon_status_keeps_its_markup() -> None:
    status = (
        '<p>Habari <span class="h-card" translate="no"><a href="https://ke.example/@amina" '
        'class="u-url mention">@<span>amina</span></a></span>, '
        '<a href="https://ke.example/tags/elimu" class="mention hashtag" rel="tag">'
        "#<span>elimu</span></a></p>"
        "<p><em>one</em> <strong>two</strong> <b>3</b> <i>4</i> <u>5</u> <del>6</del>"
        "<br><code>x = 1</code></p><pre>code</pre><blockquote>quoted</blockquote>"
        '<ol start="3" reversed=""><li value="3">three</li></ol><ul><li>item</li></ul>'
    )
    assert sanitize_html(status) == (
        '<p>Habari <span class="h-card" translate="no"><a href="https://ke.example/@amina" '
        f'class="u-url mention" {LINK}>@<span>amina</span></a></span>, '
        f'<a href="https://ke.example/tags/elimu" class="mention hashtag" {LINK}>'
        "#<span>elimu</span></a></p>"
        "<p><em>one</em> <strong>two</strong> <b>3</b> <i>4</i> <u>5</u> <del>6</del>"
        "<br><code>x = 1</code></p><pre>code</pre><blockquote>quoted</blockquote>"
        '<ol start="3" reversed=""><li value="3">three</li></ol><ul><li>item</li></ul>'
    )


@pytest.mark.parametrize(
    ("hostile", "safe"),
    [
        ("<p>hi<script>alert(1)</script></p>", "<p>hi</p>"),
        ("<SCRIPT SRC=https://evil.example/x.js></SCRIPT>ok", "ok"),
        ("<style>p { display: none }</style><p>ok</p>", "<p>ok</p>"),
        ('<iframe src="https://evil.example"></iframe>ok', "ok"),
        ("<svg><script>alert(1)</script></svg>ok", "ok"),
        ('<img src="x" onerror="alert(1)">ok', "ok"),
        ('<p onclick="alert(1)" style="color: red">ok</p>', "<p>ok</p>"),
        ('<span style="position: fixed">ok</span>', "<span>ok</span>"),
        ('<a href="javascript:alert(1)">x</a>', f"<a {LINK}>x</a>"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', f"<a {LINK}>x</a>"),
        ('<a href=" javascript:alert(1)">x</a>', f"<a {LINK}>x</a>"),
        ('<a href="java&#x09;script:alert(1)">x</a>', f"<a {LINK}>x</a>"),
        ('<a href="&#106;avascript:alert(1)">x</a>', f"<a {LINK}>x</a>"),
        ('<a href="vbscript:msgbox(1)">x</a>', f"<a {LINK}>x</a>"),
        ('<a href="data:text/html,<script>alert(1)</script>">x</a>', f"<a {LINK}>x</a>"),
        ('<a href="/relative/path">x</a>', f"<a {LINK}>x</a>"),
        ('<form action="https://evil.example"><input name="password"></form>ok', "ok"),
        ("<p>a<!-- hidden --></p>", "<p>a</p>"),
        ('<p><a href="https://ke.example" onmouseover="alert(1)">x</a></p>',
         f'<p><a href="https://ke.example" {LINK}>x</a></p>'),
        ('"><script>alert(1)</script>', "\"&gt;"),
    ],
)  # fmt: skip
def test_hostile_markup_is_neutralised(hostile: str, safe: str) -> None:
    assert sanitize_html(hostile) == safe


def test_a_link_cannot_choose_its_own_target_or_rel() -> None:
    html = '<a href="https://sn.example" target="_self" rel="opener">x</a>'
    assert sanitize_html(html) == f'<a href="https://sn.example" {LINK}>x</a>'


def test_mailto_and_web_links_keep_their_href() -> None:
    html = '<a href="mailto:amina@ke.example">mail</a> <a href="http://mz.example">web</a>'
    assert sanitize_html(html) == (
        f'<a href="mailto:amina@ke.example" {LINK}>mail</a> '
        f'<a href="http://mz.example" {LINK}>web</a>'
    )


@pytest.mark.parametrize(
    ("classes", "kept"),
    [
        ("h-card", "h-card"),
        ("u-url mention", "u-url mention"),
        ("mention  hashtag", "mention hashtag"),
        ("invisible", "invisible"),
        ("ellipsis", "ellipsis"),
        ("quote-inline", "quote-inline"),
        ("u-uid", "u-uid"),
        ("p-name dt-published e-content", "p-name dt-published e-content"),
        ("mention modal-overlay", "mention"),
        ("", ""),
    ],
)
def test_only_mention_hashtag_and_microformat_classes_are_kept(classes: str, kept: str) -> None:
    assert sanitize_html(f'<span class="{classes}">x</span>') == f'<span class="{kept}">x</span>'


@pytest.mark.parametrize("classes", ["modal-overlay", "status__content", "hidden", "h-", "x h"])
def test_a_class_with_nothing_allowed_is_dropped(classes: str) -> None:
    assert sanitize_html(f'<span class="{classes}">x</span>') == "<span>x</span>"


def test_unknown_tags_go_but_their_text_stays() -> None:
    assert sanitize_html("<h1>Title</h1><div><table><tr><td>cell</td></tr></table></div>") == (
        "Titlecell"
    )


def test_odd_attribute_values_are_dropped() -> None:
    html = '<ol start="x"><li value="1e9">a</li></ol><span translate="yes">b</span>'
    assert sanitize_html(html) == "<ol><li>a</li></ol><span>b</span>"


@pytest.mark.parametrize(
    ("broken", "repaired"),
    [
        ("<p><b>bold <i>both</p>", "<p><b>bold <i>both</i></b></p>"),
        ('<a href="https://ke.example">open', f'<a href="https://ke.example" {LINK}>open</a>'),
        ("<p>a</b></i></p>", "<p>a</p>"),
        ("<b><p>mixed</b></p>", "<b></b><p><b>mixed</b></p>"),
        ("<<script>script>alert(1)<</script>/script>", "&lt;/script&gt;"),
        ("<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"),
    ],
)
def test_nested_and_unclosed_tags_come_out_balanced(broken: str, repaired: str) -> None:
    assert sanitize_html(broken) == repaired


def test_a_lone_surrogate_does_not_break_sanitising() -> None:
    assert sanitize_html("<p>a\ud800b</p>") == "<p>a\ufffdb</p>"


@pytest.mark.parametrize(
    "html",
    [
        '<p>Karibu &amp; "welcome" <a href="https://ke.example/?a=1&amp;b=2">x</a></p>',
        '<a href="https://sn.example/a b">spaces</a><span class=" h-card  x ">y</span>',
        "<b><p>mixed</b></p><ol><li>one<li>two</ol>",
        "<p>\xa0nbsp « bonjour » </p>",
        "<pre>\n\nindented\n</pre>",
        "<p><select><li>moved out of a removed select</li></select></p>",
        "<p><table><tr><td><p>cell</p></td></tr></table></p>",
    ],
)
def test_sanitising_twice_changes_nothing(html: str) -> None:
    once = sanitize_html(html)
    assert sanitize_html(once) == once


def tag_soup(count: int) -> list[str]:
    pieces = [
        "<p>", "</p>", "<pre>", "</pre>", "<b>", "</b>", "<li>", "<ol start=2>", "</ol>",
        "<a href=https://ke.example/?a=1&b=2>", "</a>", "<span class='h-card x'>", "</span>",
        "<select>", "<option>", "<table>", "<td>", "<textarea>", "<template>", "<svg>",
        "<math>", "<noscript>", "<script>", "</script>", "<style>", "<!--", "-->", "<br>",
        "x", "\n", "\xa0", "&amp;", "&", "<", ">", '"', "\x00", "\r", "</br>", "<p/>",
    ]  # fmt: skip
    generator = random.Random(2024)
    return [
        "".join(generator.choice(pieces) for _ in range(generator.randint(1, 14)))
        for _ in range(count)
    ]


@pytest.mark.parametrize("html", tag_soup(500))
def test_tag_soup_is_stable_after_one_sanitising(html: str) -> None:
    once = sanitize_html(html)
    assert sanitize_html(once) == once


def test_escaping_matches_what_sanitising_writes() -> None:
    text = 'Tom & Jerry <b> "quoted" \xa0 it\'s'
    assert sanitize_html(f"<p>{escape_text(text)}</p>") == f"<p>{escape_text(text)}</p>"
    link = f'<a href="https://ke.example/?q={escape_attribute(text)}" {LINK}>x</a>'
    assert sanitize_html(link) == link


def test_text_of_a_mastodon_status_reads_naturally() -> None:
    status = (
        '<p>Habari <span class="h-card" translate="no"><a href="https://ke.example/@amina" '
        'class="u-url mention">@<span>amina</span></a></span> &amp; friends!<br>'
        'See <a href="https://example.org/a/long/path/for/the/lesson/plan/2024"><span '
        'class="invisible">https://</span><span class="ellipsis">example.org/a/long/path/for'
        '/the/le</span><span class="invisible">sson/plan/2024</span></a></p>'
        "<p>Second paragraph</p>"
    )
    assert html_to_text(status) == (
        "Habari @amina & friends!\n"
        "See https://example.org/a/long/path/for/the/lesson/plan/2024\n"
        "\n"
        "Second paragraph"
    )


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("", ""),
        ("plain", "plain"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<p>one<br>two<br/>three</p>", "one\ntwo\nthree"),
        ("<p>a<br><br>b</p>", "a\n\nb"),
        ("<ul><li>one</li><li>two</li></ul><p>after</p>", "one\ntwo\n\nafter"),
        ("<blockquote><p>quoted</p></blockquote><p>reply</p>", "quoted\n\nreply"),
        ("<p>\n  indented\n  source\n</p>\n\n<p>next</p>", "indented source\n\nnext"),
        ("&lt;b&gt; &amp; &quot;x&quot; &#39;y&#39; &eacute;l&egrave;ve", "<b> & \"x\" 'y' élève"),
        ("<p>bonjour&nbsp;!</p>", "bonjour\xa0!"),
        ("<p>hi<script>alert(1)</script><style>p{}</style></p>", "hi"),
        ("<p>a<svg><p>drawn</p><br></svg>b</p>", "ab"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("<pre>  two\n  lines</pre><p>after</p>", "  two\n  lines\n\nafter"),
        ("a <b> b</b>", "a b"),
    ],
)
def test_html_becomes_plain_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_text_survives_a_trip_through_sanitising() -> None:
    html = "<p>Karibu &amp; &lt;welcome&gt;<br>line two</p><p>«\xa0bonjour\xa0»</p>"
    assert html_to_text(sanitize_html(html)) == "Karibu & <welcome>\nline two\n\n«\xa0bonjour\xa0»"
