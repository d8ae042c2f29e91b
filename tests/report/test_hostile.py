"""Hostile titles and URLs: every format parses back with the structure of a benign report.

For each hostile string the fixture is rendered twice (benign title, hostile title) and
the two outputs are parsed and compared: Markdown token types (markdown-it-py, GFM-like
with linkify), HTML element and attribute set, XML elements, JSON shape, CSV shape,
GitHub command lines. The terminal output holds no escape sequence or control.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from markdown_it import MarkdownIt

from linkhealth.models import RunReport
from linkhealth.report import FORMATS, broken_links_md, enrichment_md, render
from report.reportdata import build_report

HOSTILE_TITLES = {
    "md-link-breakout": "](javascript:alert(1))",
    "md-link": "[click](javascript:alert(1))",
    "md-image": "![x](https://evil.example/x.png)",
    "script": "<script>alert(1)</script>",
    "img-onerror": '<img src=x onerror="alert(1)">',
    "ansi-clear": "\x1b[2J\x1b[31mred\x1b[0m",
    "osc8": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "osc52": "\x1b]52;c;ZXZpbA==\x07tail",
    "c1-csi": "\x9b2Jx\x9d8;;u\x9c",
    "cr": "safe\rEVIL",
    "rlo": "\u202eevil\u202c txt",
    "fence": "x\n```\ncode\n```\n# heading\n",
    "pipe": "a | b | c",
    "template": "{{ 7*7 }} {% raw %} ${x}",
    "rich": "[link=https://evil.example]click[/link] [/] [bold red]x[/]",
    "autolink": "<https://evil.example> https://evil.example www.evil.example a@evil.example",
    "emphasis": "*em* _em_ `code` ~~del~~ &amp; &#x5b; \\",
    "blocks": "- item\n1. item\n> quote\n    indented\n---\n===",
    "html-comment": "<!-- x --> <? pi ?> <![CDATA[x]]>",
    "entities": "&lt;script&gt; &#0; &#x202e;",
    "surrogate": "bad \ud800 half \udfff",
    "controls": "\x00\x07\x08\x0b\x0c\x7f\x85 end",
    "many-titles": "<title>x</title>" * 10_000,
    "one-megabyte": "A" * 1_000_000,
}
HOSTILE_URLS = {
    "url-md": ")](javascript:alert(1))",
    "url-html": '"><script>alert(1)</script>',
    "url-ansi": "\x1b[2J\x1b]8;;x\x07",
    "url-newline": " \n# heading\n| x |",
    "url-pipe-backtick": "|`x`|<y>",
}
CASES = [(k, v, "") for k, v in HOSTILE_TITLES.items()] + [
    (k, "A benign title", v) for k, v in HOSTILE_URLS.items()
]
IDS = [c[0] for c in CASES]


def benign() -> RunReport:
    return build_report()


def hostile(title: str, url_extra: str) -> RunReport:
    return build_report(title=title, url_extra=url_extra)


# --- Markdown --------------------------------------------------------------------------

_MD = MarkdownIt("gfm-like")
_IGNORED = {"text", "text_special"}


def md_structure(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for token in _MD.parse(text):
        out.append((token.type, token.tag))
        for child in token.children or []:
            if child.type not in _IGNORED:
                out.append((child.type, child.tag))
            if child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                assert href.startswith(("http://", "https://")), href
    return out


MD_RENDERERS = {
    "markdown": lambda r: render(r, "markdown"),
    "broken-links": broken_links_md,
    "enrichment": enrichment_md,
}


@pytest.mark.parametrize(("name", "title", "url_extra"), CASES, ids=IDS)
@pytest.mark.parametrize("which", list(MD_RENDERERS))
def test_markdown_structure_unchanged(which: str, name: str, title: str, url_extra: str) -> None:
    fn = MD_RENDERERS[which]
    out = fn(hostile(title, url_extra))
    assert md_structure(out) == md_structure(fn(benign()))
    assert len(out) < 200_000  # a 1 MB title is cut


# --- HTML ------------------------------------------------------------------------------


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: Counter[tuple[str, tuple[str, ...]]] = Counter()
        self.hrefs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements[(tag, tuple(sorted(a for a, _ in attrs)))] += 1
        self.hrefs += [v or "" for a, v in attrs if a == "href"]
        self.scripts += tag == "script"


def html_elements(text: str) -> _Elements:
    parser = _Elements()
    parser.feed(text)
    parser.close()
    return parser


@pytest.mark.parametrize(("name", "title", "url_extra"), CASES, ids=IDS)
def test_html_element_set_unchanged(name: str, title: str, url_extra: str) -> None:
    out = render(hostile(title, url_extra), "html")
    got, want = html_elements(out), html_elements(render(benign(), "html"))
    assert got.elements == want.elements
    assert got.scripts == 1
    # Links go to http(s) URLs, or (a place's file) to a relative path that has no scheme.
    assert all(
        h.startswith(("http://", "https://")) or not re.match(r"(?i)[a-z][a-z0-9+.-]*:", h)
        for h in got.hrefs
    )
    assert "\x1b" not in out and "\u202e" not in out
    assert len(out) < 200_000


# --- XML, JSON, CSV, GitHub, terminal ---------------------------------------------------


def xml_shape(text: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(el.tag, tuple(sorted(el.attrib))) for el in ET.fromstring(text.encode()).iter()]


def json_shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: json_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_shape(v) for v in value]
    return type(value).__name__


@pytest.mark.parametrize(("name", "title", "url_extra"), CASES, ids=IDS)
def test_junit_well_formed_and_same_shape(name: str, title: str, url_extra: str) -> None:
    out = render(hostile(title, url_extra), "junit")
    assert xml_shape(out) == xml_shape(render(benign(), "junit"))


@pytest.mark.parametrize(("name", "title", "url_extra"), CASES, ids=IDS)
@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_valid_utf8_and_same_shape(fmt: str, name: str, title: str, url_extra: str) -> None:
    out = render(hostile(title, url_extra), fmt)
    out.encode("utf-8")  # valid UTF-8: no lone surrogate survives
    assert json_shape(json.loads(out)) == json_shape(json.loads(render(benign(), fmt)))
    assert "\x1b" not in out and "\u202e" not in out  # escaped as \u001b / \u202e


@pytest.mark.parametrize(("name", "title", "url_extra"), CASES, ids=IDS)
def test_csv_same_shape(name: str, title: str, url_extra: str) -> None:
    out = render(hostile(title, url_extra), "csv")
    rows = list(csv.reader(io.StringIO(out)))
    want = list(csv.reader(io.StringIO(render(benign(), "csv"))))
    assert [len(r) for r in rows] == [len(r) for r in want]
    assert not _CONTROL.search(out.replace("\n", ""))


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(("name", "title", "url_extra"), CASES, ids=IDS)
def test_github_one_command_per_line(name: str, title: str, url_extra: str) -> None:
    out = render(hostile(title, url_extra), "github")
    lines = out.splitlines()
    assert len(lines) == len(render(benign(), "github").splitlines())
    assert all(re.match(r"::(error|warning) file=[^,:]*,", line) for line in lines)
    assert not _CONTROL.search(out.replace("\n", ""))


@pytest.mark.parametrize(("name", "title", "url_extra"), CASES, ids=IDS)
def test_text_has_no_escape_sequence_or_control(name: str, title: str, url_extra: str) -> None:
    out = render(hostile(title, url_extra), "text")
    assert not _CONTROL.search(out.replace("\n", ""))
    assert len(out.splitlines()) == len(render(benign(), "text").splitlines())
    assert len(out) < 20_000


def test_every_format_is_covered() -> None:
    covered = {"markdown", "html", "junit", "json", "sarif", "csv", "github", "text"}
    assert covered == set(FORMATS)
