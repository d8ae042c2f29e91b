"""Hostile text in outputs, end to end: a loopback server whose pages carry hostile titles,
descriptions and redirect targets; ``linkhealth check`` (a real process) writes every
report format; each output is parsed back and its structure equals a benign run's.

Every hostile string reaches the reports three ways: as an ok page's title and description
(enrichment.md, results.json, index.html, results.csv), inside a soft-404 detail (a failing
link: text, github, markdown, broken-links.md, junit.xml, results.sarif), and in a
redirect's ``Location`` (``final_url``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from faults.faultkit import CONTROL, DEADLINE, child_env, cli_argv, run_cli
from support.servers import Reply, ServerPool
from support.terminal import run_on_pty

HOSTILE = {
    "md-breakout": "](javascript:alert(1))",
    "script": "<script>alert(1)</script>",
    "img-onerror": '<img src=x onerror="alert(1)">',
    "ansi-clear": "\x1b[2J\x1b[31mred",
    "osc8": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "osc52": "\x1b]52;c;ZXZpbA==\x07tail",
    "c1": "\x9b2J\x9d8;;u\x9c",
    "cr": "safe\rEVIL",
    "rlo": "\u202eevil",
    "fence": "x\n```\ncode\n```\n# heading\n",
    "pipe": "a | b | c",
    "template": "{{ 7*7 }} {% raw %}",
    "rich": "[link=https://evil.example]click[/link] [/] [bold red]x[/]",
}
#: Visible-ASCII hostility that a Location header can carry as is.
HOSTILE_LOCATION = "/final?](javascript:alert(1))|{{x}}[/]<script>`"
BENIGN_LOCATION = "/final?plain-page"
FORMATS = ("text", "json", "markdown", "github")
REPORT_FILES = (
    "broken-links.md",
    "enrichment.md",
    "results.json",
    "junit.xml",
    "results.sarif",
    "index.html",
    "results.csv",
)


def _page(title: str, description: str) -> bytes:
    # Raw bytes as a hostile server sends them (no escaping of the text).
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title><meta name='description' content=\"{description}\">"
        "</head><body><p>x</p></body></html>"
    ).encode("utf-8", "surrogatepass")


def _serve(pool: ServerPool, hostile: bool) -> tuple[str, list[str]]:
    """One host with one ok page and one soft 404 per case; returns (host url, list lines)."""
    host = pool.host("127.0.0.1")
    lines = ["# Hostile pages", ""]
    for n, (name, text) in enumerate(HOSTILE.items()):
        title = text if hostile else f"Benign title {n}"
        host.route(f"/ok/{name}", Reply(200, body=_page(title, title)))
        host.route(f"/soft/{name}", Reply(200, body=_page(f"Page not found {title}", "gone")))
        lines.append(f"- {host.url(f'/ok/{name}')}")
        lines.append(f"- [soft {n}]({host.url(f'/soft/{name}')})")
    big = "A" * 1_000_000 if hostile else "Big"
    host.route("/big", Reply(200, body=_page(big, big)))
    many = "<title>x</title>" * 10_000 if hostile else "<title>x</title>"
    host.route("/many", Reply(200, body=f"<html><head>{many}</head><body></body></html>".encode()))
    location = HOSTILE_LOCATION if hostile else BENIGN_LOCATION
    host.route("/moved", Reply(301, headers={"Location": location}))
    host.route("/final", Reply(200, body=_page("Moved here", "moved")))  # any query
    host.route("/missing", Reply(404, body=_page("\x1b[2J gone \u202e", "x")))
    lines += [f"- {host.url(p)}" for p in ("/big", "/many", "/moved", "/missing")]
    # A list author's own hostile links: never fetched, never emitted as live links.
    lines += ["- [run me](javascript:alert(1))", "- [data](data:text/html,<script>x</script>)"]
    return host.url("/"), lines


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Both runs' outputs: {"benign"|"hostile": {name: text}}."""
    out: dict[str, dict[str, str]] = {}
    with ServerPool(lifetime=DEADLINE * 2) as pool:
        for kind in ("benign", "hostile"):
            work = tmp_path_factory.mktemp(kind)
            _, lines = _serve(pool, kind == "hostile")
            (work / "list.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
            texts: dict[str, str] = {}
            for fmt in FORMATS:
                ran = run_cli(
                    "check", "list.md", "--allow-private", "--store", "state.sqlite",
                    "--max-age", "0", "--retries", "0", "--format", fmt, "--verbose",
                    "--host-interval", "0",
                    *[a for f in ("junit", "sarif", "html", "csv") for a in ("--report-format", f)],
                    cwd=work,
                )  # fmt: skip
                assert ran.code == 1, ran.stderr[-2000:]  # soft 404s and the 404 fail
                texts[fmt] = ran.stdout
                texts[f"stderr-{fmt}"] = ran.stderr
            for name in REPORT_FILES:
                texts[name] = (work / "reports" / name).read_text(encoding="utf-8")
            texts["tty"] = _run_on_a_terminal(work)
            out[kind] = texts
    return out


def _run_on_a_terminal(work: Path) -> str:
    """``check --format text`` with stdout and stderr on a pseudo-terminal."""
    _, shown = run_on_pty(
        cli_argv("check", "list.md", "--allow-private", "--store", "state.sqlite", "--no-reports"),
        cwd=work,
        env=child_env(TERM="xterm-256color", COLUMNS="200"),
        columns=200,
        deadline=DEADLINE,
        stdin_tty=False,
    )
    return shown


# --- structure of each format ----------------------------------------------------------

_MD = MarkdownIt("gfm-like")


def md_structure(text: str) -> Iterator[tuple[str, str]]:
    for token in _MD.parse(text):
        yield token.type, token.tag
        for child in token.children or []:
            if child.type in ("text", "text_special", "softbreak"):
                continue
            if child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                assert href.startswith(("http://", "https://")), href
            yield child.type, child.tag


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.seen: set[tuple[str, tuple[str, ...]]] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.add((tag, tuple(sorted(name for name, _ in attrs))))
        self.hrefs += [v or "" for name, v in attrs if name in ("href", "src")]


def html_structure(text: str) -> set[tuple[str, tuple[str, ...]]]:
    parser = _Elements()
    parser.feed(text)
    parser.close()
    for href in parser.hrefs:
        # http(s), an anchor, or a place's file as a relative path (never a scheme).
        relative = not re.match(r"(?i)[a-z][a-z0-9+.-]*:", href) and not href.startswith("//")
        assert href.startswith(("http://", "https://", "#")) or relative, href
    return parser.seen


def xml_structure(text: str) -> list[str]:
    return [el.tag for el in ET.fromstring(text).iter()]


def json_shape(value: object) -> object:
    if isinstance(value, dict):
        return {
            k: "text?" if k in _PAGE_TEXT else json_shape(v)
            for k, v in value.items()
            if k not in _VOLATILE
        }
    if isinstance(value, list):
        return [json_shape(v) for v in value]
    return type(value).__name__ if value is not None else None


# Timings vary; a page's text fields may be null when the sanitiser left nothing of them
# (a title made only of controls) or the page had none.
_VOLATILE = frozenset({"elapsed_ms", "checked_at", "started_at", "finished_at"})
_PAGE_TEXT = frozenset({"title", "description", "site_name"})


def csv_shape(text: str) -> list[int]:
    return [len(row) for row in csv.reader(io.StringIO(text))]


def github_lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        assert line.startswith("::") or not line.strip(), line
        out.append(line.split(" ", 1)[0].split("::", 2)[1] if line.startswith("::") else "")
    return out


# --- tests -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["markdown", "broken-links.md", "enrichment.md"])
def test_markdown_structure_unchanged(outputs: dict[str, dict[str, str]], name: str) -> None:
    benign = list(md_structure(outputs["benign"][name]))
    hostile = list(md_structure(outputs["hostile"][name]))
    assert hostile == benign


def test_html_element_set_unchanged(outputs: dict[str, dict[str, str]]) -> None:
    hostile = outputs["hostile"]["index.html"]
    assert html_structure(hostile) == html_structure(outputs["benign"]["index.html"])
    assert "<script>alert" not in hostile and "onerror=" not in hostile.replace("onerror=&", "")


@pytest.mark.parametrize("name", ["junit.xml"])
def test_xml_well_formed_and_same_elements(outputs: dict[str, dict[str, str]], name: str) -> None:
    assert xml_structure(outputs["hostile"][name]) == xml_structure(outputs["benign"][name])


@pytest.mark.parametrize("name", ["json", "results.json", "results.sarif"])
def test_json_valid_and_same_shape(outputs: dict[str, dict[str, str]], name: str) -> None:
    hostile = json.loads(outputs["hostile"][name])
    benign = json.loads(outputs["benign"][name])
    shape_h, shape_b = json_shape(hostile), json_shape(benign)
    if name == "results.sarif":
        assert len(hostile["runs"][0]["results"]) == len(benign["runs"][0]["results"])
    else:
        assert shape_h == shape_b
    # The hostile text did reach the JSON, sanitised: no control character, no bidi mark.
    assert "javascript:alert(1)" in outputs["hostile"][name]
    assert CONTROL.search(json.dumps(hostile, ensure_ascii=False)) is None


def test_csv_same_shape(outputs: dict[str, dict[str, str]]) -> None:
    hostile = outputs["hostile"]["results.csv"]
    assert csv_shape(hostile) == csv_shape(outputs["benign"]["results.csv"])
    for row in csv.reader(io.StringIO(hostile)):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row


def test_github_one_command_per_line(outputs: dict[str, dict[str, str]]) -> None:
    assert github_lines(outputs["hostile"]["github"]) == github_lines(outputs["benign"]["github"])


@pytest.mark.parametrize("name", ["text", "stderr-text", "tty"])
def test_terminal_output_has_no_escape_or_control(
    outputs: dict[str, dict[str, str]], name: str
) -> None:
    text = outputs["hostile"][name]
    # The hostile pages were judged and shown (soft-404 details quote their titles).
    assert ("soft 404" in text) if name != "stderr-text" else ("/soft/osc52" in text)
    if name == "tty":
        # A terminal gets the tool's own progress bar and colours: strip exactly those
        # (SGR, cursor show/hide, erase line, cursor up, carriage return) and require
        # nothing else: no clear screen, no OSC, no C1, no bell, no bidi override.
        assert "\x1b[2J" not in text and "\x1b]" not in text
        text = re.sub(r"\x1b\[(?:\?25[lh]|[0-9;]*m|2K|[0-9]*A)|\r", "", text)
    assert CONTROL.search(text) is None, repr(CONTROL.search(text))


def test_every_output_mentions_every_case(outputs: dict[str, dict[str, str]]) -> None:
    """The hostile run judged what the benign run judged (nothing dropped or crashed)."""
    for kind in ("benign", "hostile"):
        data = json.loads(outputs[kind]["results.json"])
        verdicts = sorted(r["verdict"] for r in data["results"])
        assert verdicts.count("broken") == len(HOSTILE) + 1
        assert verdicts.count("redirected") == 1
        # The list's own javascript:/data: links are lint errors, never fetched.
        rules = [f["rule"] for f in data["findings"]]
        assert rules.count("unsafe-scheme") == 2
    benign_v = sorted(r["verdict"] for r in json.loads(outputs["benign"]["json"])["results"])
    hostile_v = sorted(r["verdict"] for r in json.loads(outputs["hostile"]["json"])["results"])
    assert hostile_v == benign_v
