"""Markdown text → link occurrences with exact spans, and lint findings.

Positions follow :mod:`linkhealth.parse.source` (BOM removed, any line end is a
line end, 1-based character columns, ``end_column`` exclusive). For every
occurrence except ``kind == "reference"`` the span covers the URL as written:
without the ``<``/``>`` of ``<dest>`` and autolinks, without the quotes of an
HTML attribute. ``url`` is that text with backslash escapes and entities
decoded; bare ``www.`` links get ``http://`` and bare or autolinked e-mail
addresses get ``mailto:`` in front (as GFM renders them). A reference link is
reported where it is used (span = the whole ``[text][label]``), with the URL of
its definition; a definition that is never used is reported at its destination.

Comments (``--comments``): ``auto`` parses inside a file that is entirely one
HTML comment (a commented-out draft) and skips partial comments; ``include``
parses inside every comment; ``skip`` ignores all of them. ``in_comment`` tells.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from linkify_it import LinkifyIt
from markdown_it.token import Token

from linkhealth.config import CommentMode
from linkhealth.models import Finding, LinkKind, Occurrence, Severity
from linkhealth.parse.ignore_markers import ignored_lines, marker_ends, unclosed_start
from linkhealth.parse.lint import TextHit, scan_text
from linkhealth.parse.markdown import (
    ENV_KEY,
    HTML,
    LinkRecord,
    Recorder,
    build_parser,
    parse_inline,
)
from linkhealth.parse.source import LineIndex, normalise_newlines
from linkhealth.parse.urls import diagnose, normalise_url

_MD = build_parser()
_DONE = Token("done", "", 0)  # stands in for a processed block token
_LINKIFY = LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": True, "fuzzy_ip": False})
_LINKIFY.add("//", None).add("ftp:", None)
_WWW_RE = re.compile(r"(?<![\w.@/-])www\.", re.I)
_BARE_HINT = re.compile(r":|www\.|@", re.I)
_HTML_ATTR_RE = re.compile(
    r"<(?P<tag>a|img)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?\s(?P<attr>href|src)\s*=\s*"
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<uq>[^\s\"'=<>`]+))",
    re.I,
)
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_KINDS = {
    "inline": LinkKind.INLINE,
    "reference": LinkKind.REFERENCE,
    "image-reference": LinkKind.REFERENCE,
    "autolink": LinkKind.AUTOLINK,
    "image": LinkKind.IMAGE,
}


@dataclass
class ParseResult:
    """Every well-formed link occurrence, every lint finding, and the files read."""

    occurrences: list[Occurrence] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def extend(self, other: ParseResult) -> None:
        self.occurrences.extend(other.occurrences)
        self.findings.extend(other.findings)
        self.files.extend(other.files)


class _Mapper:
    """Offsets in an inline token's ``content`` → absolute offsets in the file.

    Each content line is the source line with a prefix removed (indent, list and
    quote markers) and, for the last, trailing space trimmed; counting from the
    line's end places it exactly. Table cells and ATX headings are searched for.
    """

    __slots__ = ("cstarts", "dstarts")

    def __init__(self, content: str, first_line: int, doc: _Doc) -> None:
        self.cstarts: list[int] = []
        self.dstarts: list[int] = []
        n_lines = len(doc.starts)
        offset = 0
        for i, c in enumerate(content.split("\n")):
            ln = min(first_line + i, n_lines - 1)
            s = doc.line(ln)
            cr = c.rstrip()
            sr = s.rstrip()
            if cr and sr.endswith(cr):
                k = len(sr) - len(cr)
            elif not cr:
                k = len(s)
            else:
                stripped = c.strip()
                k = s.find(stripped, doc.cursor.get(ln, 0))
                if k < 0:
                    k = max(s.find(stripped), 0)
                doc.cursor[ln] = k + len(stripped)
                k -= len(c) - len(c.lstrip())
            self.cstarts.append(offset)
            self.dstarts.append(doc.base + doc.starts[ln] + k)
            offset += len(c) + 1

    def abs(self, off: int) -> int:
        i = bisect_right(self.cstarts, off) - 1
        return self.dstarts[i] + off - self.cstarts[i]


@dataclass
class _Doc:
    """One parsed region: the file, or the inside of a comment."""

    base: int
    src: str
    starts: list[int]  # offset in ``src`` of each line (no list of line strings is kept)
    in_comment: bool
    cursor: dict[int, int] = field(default_factory=dict)

    def line(self, ln: int) -> str:
        """Line ``ln`` (0-based) of ``src``, without its ``\\n``."""
        starts = self.starts
        end = starts[ln + 1] - 1 if ln + 1 < len(starts) else len(self.src)
        return self.src[starts[ln] : end]


class _FileParser:
    def __init__(self, text: str, file: str, comments: CommentMode) -> None:
        self.text = normalise_newlines(text)
        self.file = file
        self.comments = comments
        self.index = LineIndex(self.text)
        self.occurrences: list[Occurrence] = []
        self.findings: list[Finding] = []
        self._reported_defs: set[int] = set()

    # ---- positions and results ------------------------------------------------

    def _span(self, start: int, end: int) -> tuple[int, int, int, int]:
        line, col = self.index.position(start)
        end_line, end_col = self.index.position(end)
        return line, col, end_line, end_col

    def _finding(
        self,
        rule: str,
        message: str,
        suggestion: str | None,
        start: int,
        end: int,
        section: str | None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        line, col, end_line, end_col = self._span(start, end)
        self.findings.append(
            Finding(
                file=self.file,
                line=line,
                column=col,
                end_line=end_line,
                end_column=end_col,
                rule=rule,
                message=message,
                suggestion=suggestion,
                severity=severity,
                raw=self.text[start:end],
                section=section,
            )
        )

    def _link(
        self,
        kind: LinkKind,
        url: str,
        start: int,
        end: int,
        text: str | None,
        section: str | None,
        in_comment: bool,
        *,
        destination: bool = True,
        diag_span: tuple[int, int] | None = None,
    ) -> None:
        diag = diagnose(url, destination=destination)
        if diag is not None:
            ds, de = diag_span or (start, end)
            if diag_span is not None:
                if ds in self._reported_defs:
                    return
                self._reported_defs.add(ds)
            self._finding(diag.rule, diag.message, diag.suggestion, ds, de, section, diag.severity)
            return
        line, col, end_line, end_col = self._span(start, end)
        self.occurrences.append(
            Occurrence(
                url=url,
                file=self.file,
                line=line,
                column=col,
                end_line=end_line,
                end_column=end_col,
                text=text,
                kind=kind,
                section=section,
                in_comment=in_comment,
            )
        )

    # ---- documents ------------------------------------------------------------

    def run(self) -> None:
        whole = _whole_comment(self.text)
        if whole is None:
            self._parse(0, len(self.text), in_comment=False, section=None)
        elif self.comments is not CommentMode.SKIP:
            self._parse(whole[0], whole[1], in_comment=True, section=None)
        skip = ignored_lines(self.text)
        if skip:
            dropped = sum(1 for o in self.occurrences if o.line in skip)
            self.occurrences = [o for o in self.occurrences if o.line not in skip]
            self.findings = [f for f in self.findings if f.line not in skip]
            open_line = unclosed_start(self.text)
            if open_line is not None:
                # Never a silently dropped link: a forgotten -end is worth a warning.
                self.findings.append(
                    Finding(
                        file=self.file,
                        line=open_line,
                        column=1,
                        rule="unclosed-ignore",
                        message=(
                            "linkhealth-ignore-start without a linkhealth-ignore-end: "
                            f"{dropped} link(s) to the end of the file are ignored"
                        ),
                        severity=Severity.WARNING,
                    )
                )
        self._duplicates()
        self.occurrences.sort(key=lambda o: (o.line, o.column))
        self.findings.sort(key=lambda f: (f.line, f.column, f.rule))

    def _parse(self, start: int, end: int, *, in_comment: bool, section: str | None) -> None:
        src = self.text[start:end]
        whole = start == 0 and end == len(self.text)  # the file's own line index fits
        starts = self.index.starts if whole else LineIndex(src).starts
        doc = _Doc(start, src, starts, in_comment)
        rec = Recorder()
        env: dict[str, Any] = {ENV_KEY: rec}
        # Block tokens only; each inline token is parsed when the loop reaches it (or
        # looks ahead at it) and dropped once processed, so the inline tokens of the
        # whole document never exist at once.
        tokens: list[Token] = _MD.parse(src, env)
        stack: list[tuple[int, str]] = [(-1, section)] if section else []
        changes: list[tuple[int, str | None]] = [(0, section)]
        last_line = 0

        def current() -> str | None:
            return stack[-1][1] if stack else None

        for i, tok in enumerate(tokens):
            if tok.map:
                last_line = tok.map[0]
            t = tok.type
            if t == "heading_open" or (t == "paragraph_open" and _introduces_list(tokens, i, env)):
                title = _plain(tokens[i + 1], env)
                while stack and stack[-1][0] >= tok.level:
                    stack.pop()
                if title:
                    stack.append((tok.level, title))
                changes.append((last_line, current()))
            elif t in ("list_item_close", "blockquote_close"):
                before = len(stack)
                while stack and stack[-1][0] > tok.level:
                    stack.pop()
                if len(stack) != before:
                    changes.append((last_line, current()))
            elif t == "inline":
                self._inline(tok, parse_inline(_MD, env, tok), doc, rec, last_line, current())
            elif t == "html_block" and tok.map:
                a = start + doc.starts[tok.map[0]]
                b = start + doc.starts[tok.map[1]] - 1 if tok.map[1] < len(doc.starts) else end
                self._html(a, b, doc, current())
            tokens[i] = _DONE  # nothing looks back: let the token and its children go
        # Definitions nobody uses are still links in the file.
        change_lines = [c[0] for c in changes]
        for key, d in rec.refdefs.items():
            if key in rec.used_refs:
                continue
            line = bisect_right(doc.starts, d.start) - 1
            sec = changes[max(bisect_right(change_lines, line) - 1, 0)][1]
            self._link(
                LinkKind.REFERENCE, d.url, start + d.start, start + d.end, None, sec, in_comment
            )

    def _inline(
        self,
        tok: Token,
        children: list[Token],
        doc: _Doc,
        rec: Recorder,
        line: int,
        section: str | None,
    ) -> None:
        content = tok.content
        first_line = tok.map[0] if tok.map else line
        mapper: _Mapper | None = None

        def m() -> _Mapper:
            nonlocal mapper
            if mapper is None:
                mapper = _Mapper(content, first_line, doc)
            return mapper

        for j, child in enumerate(children):
            lr: LinkRecord | None = child.meta.get("lh") if child.meta else None
            if lr is None:
                continue
            text = _link_text(children, j) if child.type == "link_open" else child.content
            kind = _KINDS[lr.kind]
            diag_span = None
            if lr.ref_key is not None and lr.ref_key in rec.refdefs:
                d = rec.refdefs[lr.ref_key]
                diag_span = (doc.base + d.start, doc.base + d.end)
            self._link(
                kind,
                lr.url,
                m().abs(lr.start),
                m().abs(lr.end),
                text,
                section,
                doc.in_comment,
                destination=lr.kind != "autolink",
                diag_span=diag_span,
            )

        ranges: list[tuple[int, int, str]] = tok.meta.get("lh_ranges", [])
        hard = _union(ranges)
        for s, e, consumed in ranges:
            if consumed == HTML:
                if content.startswith("<!--", s):
                    if self.comments is CommentMode.INCLUDE:
                        self._parse(
                            m().abs(s + 4),
                            m().abs(max(e - 3, s + 4)),
                            in_comment=True,
                            section=section,
                        )
                else:
                    self._html_tag(content, s, e, m(), section, doc.in_comment)

        def is_hard(pos: int) -> bool:
            k = bisect_right(hard, (pos, float("inf"))) - 1
            return k >= 0 and hard[k][0] <= pos < hard[k][1]

        hits: list[TextHit] = []
        if "]" in content or ":" in content or "//" in content:
            hits = scan_text(content, is_hard)
            for h in hits:
                self._finding(
                    h.rule,
                    h.message,
                    h.suggestion,
                    m().abs(h.start),
                    m().abs(h.end),
                    section,
                    h.severity,
                )
        if _BARE_HINT.search(content):
            self._bare(content, hard, hits, m(), section, doc.in_comment)

    def _bare(
        self,
        content: str,
        hard: list[tuple[int, int]],
        hits: list[TextHit],
        mapper: _Mapper,
        section: str | None,
        in_comment: bool,
    ) -> None:
        suppress = [(h.suppress_start, h.suppress_end) for h in hits]
        pos = 0
        for a, b in [*hard, (len(content), len(content))]:
            if a > pos:
                run = content[pos:a]
                if _BARE_HINT.search(run):
                    for s, e, url in _bare_matches(run):
                        s, e = s + pos, e + pos
                        if any(x < e and s < y for x, y in suppress):
                            continue
                        self._link(
                            LinkKind.BARE,
                            url,
                            mapper.abs(s),
                            mapper.abs(e),
                            None,
                            section,
                            in_comment,
                            destination=False,
                        )
            pos = max(pos, b)

    # ---- HTML -----------------------------------------------------------------

    def _html(self, a: int, b: int, doc: _Doc, section: str | None) -> None:
        region = self.text[a:b]
        if "<" not in region:
            return
        comments = [(c.start(), c.end()) for c in _COMMENT_RE.finditer(region)]
        for cs, ce in comments:
            if self.comments is CommentMode.INCLUDE and not doc.in_comment:
                inner_end = ce - 3 if region.endswith("-->", cs, ce) else ce
                self._parse(
                    a + cs + 4, a + max(inner_end, cs + 4), in_comment=True, section=section
                )
        for mt in _HTML_ATTR_RE.finditer(region):
            if any(cs <= mt.start() < ce for cs, ce in comments):
                continue
            self._html_match(mt, a, section, doc.in_comment, None)

    def _html_tag(
        self, content: str, s: int, e: int, mapper: _Mapper, section: str | None, in_comment: bool
    ) -> None:
        for mt in _HTML_ATTR_RE.finditer(content[s:e]):
            self._html_match(mt, s, section, in_comment, mapper)

    def _html_match(
        self,
        mt: re.Match[str],
        offset: int,
        section: str | None,
        in_comment: bool,
        mapper: _Mapper | None,
    ) -> None:
        group = next(g for g in ("dq", "sq", "uq") if mt.group(g) is not None)
        raw = mt.group(group)
        s, e = offset + mt.start(group), offset + mt.end(group)
        if mapper is not None:
            s, e = mapper.abs(s), mapper.abs(e)
        self._link(LinkKind.HTML, html.unescape(raw), s, e, None, section, in_comment)

    # ---- file-wide rules ------------------------------------------------------

    def _written(self, occ: Occurrence) -> str:
        """The occurrence's span as written (``www.x.org``, not ``http://www.x.org``)."""
        starts = self.index.starts
        return self.text[
            starts[occ.line - 1] + occ.column - 1 : starts[occ.end_line - 1] + occ.end_column - 1
        ]

    def _duplicates(self) -> None:
        groups: dict[str, list[Occurrence]] = defaultdict(list)
        for occ in self.occurrences:
            groups[normalise_url(occ.url)].append(occ)
        for url, occs in groups.items():
            if len(occs) < 2:
                continue
            lines = ", ".join(str(o.line) for o in occs)
            message = f"{url} appears {len(occs)} times in this file (lines {lines})"
            for o in occs:
                self.findings.append(
                    Finding(
                        file=self.file,
                        line=o.line,
                        column=o.column,
                        end_line=o.end_line,
                        end_column=o.end_column,
                        rule="duplicate-url",
                        message=message,
                        suggestion=None,
                        severity=Severity.WARNING,
                        raw=self._written(o),
                        section=o.section,
                    )
                )


def _whole_comment(text: str) -> tuple[int, int] | None:
    """The inside of the comment when the whole text is one HTML comment."""
    start = len(text) - len(text.lstrip())
    if not text.startswith("<!--", start):
        return None
    close = text.find("-->", start + 4)
    # An inline ignore marker inside the draft does not end the draft's comment.
    markers = marker_ends(text) if "linkhealth-ignore-" in text else set()
    while close != -1 and close + 3 in markers:
        close = text.find("-->", close + 3)
    if close == -1:
        return start + 4, len(text)
    if text[close + 3 :].strip():
        return None
    return start + 4, close


def _union(ranges: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e, _ in sorted(ranges):
        if out and s < out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _bare_matches(run: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for mt in _LINKIFY.match(run) or []:
        raw = run[mt.index : mt.last_index]
        url = raw if mt.schema else "mailto:" + raw
        found.append((mt.index, mt.last_index, url))
    if "www." in run.lower():
        for w in _WWW_RE.finditer(run):
            p = w.start()
            if any(s <= p < e for s, e, _ in found):
                continue
            mt = _LINKIFY.match_at_start("http://" + run[p:])
            if mt is not None and mt.last_index > len("http://www."):
                end = p + mt.last_index - len("http://")
                found.append((p, end, "http://" + run[p:end]))
    return found


def _plain(tok: Token, env: dict[str, Any]) -> str:
    if tok.type != "inline":
        return ""
    children = parse_inline(_MD, env, tok)
    parts = [c.content for c in children if c.type in ("text", "code_inline")]
    text = "".join(parts) if parts else tok.content
    return " ".join(text.split())


def _link_text(children: list[Token], j: int) -> str | None:
    depth = 0
    parts: list[str] = []
    for child in children[j:]:
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            depth -= 1
            if depth == 0:
                break
        elif child.type in ("text", "code_inline") or child.type == "image":
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    text = "".join(parts).strip()
    return text or None


def _introduces_list(tokens: list[Token], i: int, env: dict[str, Any]) -> bool:
    """A one-line plain paragraph right before a list: the list's title."""
    if i + 3 >= len(tokens):
        return False
    inline, after = tokens[i + 1], tokens[i + 3]
    if inline.type != "inline" or after.type not in ("bullet_list_open", "ordered_list_open"):
        return False
    content = inline.content
    if (
        "\n" in content
        or len(content) > 200
        or (_BARE_HINT.search(content) and ("://" in content or "www." in content.lower()))
    ):
        return False
    return not any(c.type in ("link_open", "image") for c in parse_inline(_MD, env, inline))


def extract_text(text: str, file: str, *, comments: CommentMode = CommentMode.AUTO) -> ParseResult:
    """Every link occurrence and lint finding in ``text`` (the content of ``file``).

    Pure: reads nothing, never raises on any text.
    """
    parser = _FileParser(text, file, comments)
    parser.run()
    return ParseResult(parser.occurrences, parser.findings, [file])
