"""GitHub's heading anchors, table-driven.

Expected slugs come from GitHub's documented behaviour, not from our code:

- GitHub Docs, "Basic writing and formatting syntax", section "Section links"
  (https://docs.github.com/en/get-started/writing-on-github/getting-started-with-writing-and-formatting-on-github/basic-writing-and-formatting-syntax#section-links):
  letters to lower case; spaces to hyphens; other whitespace and punctuation
  removed; markup removed leaving the contents; duplicates get ``-1``, ``-2``.
  Its worked example (``This'll be a _Helpful_ Section About the Greek Letter Θ!``,
  ``Sample Section``, a heading repeated twice) is case ``docs-*`` below — the
  page writes the anchor with a capital ``Θ``, but its first rule lower-cases
  letters, and the filter below does, so we expect ``θ``.
- Same page, section "Custom anchors": ``<a name="…">`` anchors, which "are
  not considered by the automatic naming and numbering".
- ``jch/html-pipeline`` ``lib/html/pipeline/toc_filter.rb`` (the filter GitHub
  published): ``text.downcase``, ``gsub(/[^\\p{Word}\\- ]/u, '')``,
  ``tr(' ', '-')``, no squeezing of hyphens, ``-N`` suffix for repeats.
- The ``github-slugger`` package (``Flet/github-slugger``, ``test/fixtures.json``),
  which emulates GitHub: cases ``slugger-*`` (dash, underscore, period, brackets,
  ``I ♥ unicode``, en dash, emoji, Cyrillic, Han, the ``echo`` repetition series).
"""

from __future__ import annotations

import pytest

from linkhealth.local import github_slug, heading_anchors

# (case id, heading text as GitHub renders it, expected slug)
SLUG_CASES = [
    ("docs-sample", "Sample Section", "sample-section"),
    (
        "docs-greek",
        "This'll be a Helpful Section About the Greek Letter Θ!",
        "thisll-be-a-helpful-section-about-the-greek-letter-θ",
    ),
    (
        "docs-not-unique",
        "This heading is not unique in the file",
        "this-heading-is-not-unique-in-the-file",
    ),
    ("slugger-dash", "heading with a - dash", "heading-with-a---dash"),
    ("slugger-underscore", "heading with an _ underscore", "heading-with-an-_-underscore"),
    ("slugger-period", "heading with a period.txt", "heading-with-a-periodtxt"),
    (
        "slugger-brackets",
        "exchange.bind_headers(exchange, routing [, bindCallback])",
        "exchangebind_headersexchange-routing--bindcallback",
    ),
    ("slugger-camel", "bravoCharlieDelta", "bravocharliedelta"),
    ("slugger-heart", "I ♥ unicode", "i--unicode"),
    ("slugger-en-dash", "en–dash", "endash"),
    ("slugger-apostrophe", "apostrophe’s should be trimmed", "apostrophes-should-be-trimmed"),
    ("slugger-emoji", "😄 unicode emoji", "-unicode-emoji"),
    ("slugger-emoji-dash", "😄 - an emoji", "---an-emoji"),
    ("slugger-emoji-underscore", "😄_😄 unicode emoji", "_-unicode-emoji"),
    ("slugger-cyrillic", "Профили пользователей", "профили-пользователей"),
    ("slugger-cyrillic-han", "Привет non-latin 你好", "привет-non-latin-你好"),
    ("non-ascii-umlaut", "Überblick", "überblick"),
    ("non-ascii-accents", "Café & Crème brûlée", "café--crème-brûlée"),
    ("cjk-japanese", "日本語の見出し", "日本語の見出し"),
    ("cjk-fullwidth-punct", "設定（詳細）", "設定詳細"),
    ("punct-question", "What is it?", "what-is-it"),
    ("punct-cpp", "C++ & C#", "c--c"),
    ("punct-version", "Release v1.2.3", "release-v123"),
    ("punct-colon-slash", "Step 1: install/upgrade", "step-1-installupgrade"),
    ("spaces-not-squeezed", "Several   spaces", "several---spaces"),
    ("tab-removed", "tab\there", "tabhere"),
    ("digits-only", "2024", "2024"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in SLUG_CASES], ids=[c for c, _, _ in SLUG_CASES]
)
def test_github_slug(text: str, expected: str) -> None:
    assert github_slug(text) == expected


# (case id, Markdown heading, expected single anchor): inline markup is stripped
# before slugging — code spans and links keep their text, images vanish.
MARKUP_CASES = [
    ("docs-italic", "## This'll be a _Helpful_ Section", "thisll-be-a-helpful-section"),
    ("bold", "# **Bold** and *em*", "bold-and-em"),
    ("code-span", "## The `--dry-run` flag", "the---dry-run-flag"),
    ("code-span-punct", "### `linkhealth.local.is_local()`", "linkhealthlocalis_local"),
    ("link", "## See [the guide](https://example.com/guide) now", "see-the-guide-now"),
    ("reference-link", "## Read [docs][d]\n\n[d]: https://example.com", "read-docs"),
    ("image", "## Logo ![alt text](logo.png) here", "logo--here"),
    ("strikethrough", "## ~~Old~~ New", "old-new"),
    ("html-inline", "## <em>Raw</em> HTML", "raw-html"),
    ("entity", "## Fish &amp; Chips", "fish--chips"),
    ("closing-hashes", "## Install ##", "install"),
    ("setext", "Getting started\n---------------", "getting-started"),
    ("emoji-start", "## 🚀 Quick start", "-quick-start"),
    ("emoji-end", "## Done ✅", "done-"),
    ("leading-trailing-space", "##    Padded    ", "padded"),
]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [(m, e) for _, m, e in MARKUP_CASES],
    ids=[c for c, _, _ in MARKUP_CASES],
)
def test_heading_markup_is_stripped(markdown: str, expected: str) -> None:
    assert heading_anchors(markdown) == [expected]


def test_duplicates_are_numbered_like_github_docs_example() -> None:
    text = (
        "# Example headings\n\n## Sample Section\n\n"
        "## This heading is not unique in the file\n\nTEXT 1\n\n"
        "## This heading is not unique in the file\n\nTEXT 2\n"
    )
    assert heading_anchors(text) == [
        "example-headings",
        "sample-section",
        "this-heading-is-not-unique-in-the-file",
        "this-heading-is-not-unique-in-the-file-1",
    ]


def test_duplicates_follow_the_echo_series() -> None:
    """github-slugger fixtures: echo, echo, ``echo 1``, ``echo-1``, echo."""
    text = "# echo\n# echo\n# echo 1\n# echo-1\n# echo\n# golf\n# golf\n# golf\n"
    assert heading_anchors(text) == [
        "echo",
        "echo-1",
        "echo-1-1",
        "echo-1-2",
        "echo-2",
        "golf",
        "golf-1",
        "golf-2",
    ]


def test_explicit_anchors_do_not_shift_numbering() -> None:
    text = (
        '# Section Heading\n\n<a name="my-custom-anchor-point"></a>\nSome text.\n\n'
        '<a id="faq"></a>\n\n## FAQ\n\n## FAQ\n\n'
        '<div id="box">x</div>\n\n## Install {#setup}\n'
    )
    anchors = heading_anchors(text)
    assert anchors == [
        "section-heading",
        "my-custom-anchor-point",
        "faq",
        "faq",
        "faq-1",
        "box",
        "setup",
        "install-setup",
    ]


def test_code_blocks_and_front_matter_define_nothing() -> None:
    text = (
        "---\ntitle: Front matter\n---\n\n"
        '```markdown\n# Not a heading\n<a id="nope"></a>\n```\n\n'
        "    # indented code\n\n"
        'Text with `<a id="code">` in a code span.\n\n'
        "# Real\n"
    )
    assert heading_anchors(text) == ["real"]


def test_raw_html_headings_get_anchors() -> None:
    text = '<h2 id="explicit">Raw <b>Heading</b></h2>\n\n<h3>Another one</h3>\n'
    assert heading_anchors(text) == ["explicit", "raw-heading", "another-one"]


def test_heading_without_slug_text_gets_no_anchor() -> None:
    assert heading_anchors("# 🎉\n\n# !!!\n\n# ok\n") == ["ok"]
