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

import gc
import html
import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter
from typing import TYPE_CHECKING, Literal

from linkhealth.config import CommentMode
from linkhealth.lazyre import lazy_compile
from linkhealth.parse.ignore_markers import (
    has_markers,
    ignored_lines,
    marker_ends,
    unclosed_start,
)
from linkhealth.parse.lint import ANY_HINT, SCAN_HINT, TextHit, scan_text
from linkhealth.parse.source import LineIndex, normalise_newlines
from linkhealth.parse.urls import diagnose_matched, matched_key, normalise_url, plain_url
from linkhealth.parse.walk import RustParserUnsafe, Walk
from linkhealth.records import Finding, LinkKind, Occurrence, Severity

if TYPE_CHECKING:
    from linkify_it import LinkifyIt

    from linkhealth.parse.split import Worker


@cache
def _linkify() -> LinkifyIt:
    """linkify-it as the bare-URL rule uses it, made when a text first needs it (a list
    of plain links never does: its import and set-up are ~2 ms of every start)."""
    from linkify_it import LinkifyIt

    found = LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": True, "fuzzy_ip": False})
    return found.add("//", None).add("ftp:", None)


_WWW_RE = re.compile(r"(?<![\w.@/-])www\.", re.I)
_BARE_HINT = re.compile(r":|www\.|@", re.I)
_HTML_ATTR_RE = lazy_compile(
    r"<(?P<tag>a|img)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?\s(?P<attr>href|src)\s*=\s*"
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<uq>[^\s\"'=<>`]+))",
    re.I,
)
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
#: "rust": markdown-it-pyrs (markdown-it-py where it panics); "python": markdown-it-py.
Engine = Literal["rust", "python"]


#: How a file's occurrences are ordered (a stable sort: at one place, as they were found).
PLACE = attrgetter("line", "column")
_URL = attrgetter("url")
#: Lines a duplicate-url finding names (the rest are counted).
DUPLICATE_LINES_SHOWN = 10


@dataclass
class ParseResult:
    """Every well-formed link occurrence, every lint finding, and the files read.

    Asked for the occurrences in an output format (``render``: the extract command),
    ``rendered`` holds those a second process rendered already (parse/split.py), each
    text after the number of ``occurrences`` it follows (:mod:`.report.extractfmt`
    takes them so), and ``findings`` has no duplicate-url finding (none is printed)."""

    occurrences: list[Occurrence] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # (a text, or texts read when they are written out: a worker's, from its file)
    rendered: list[tuple[int, str | Iterable[str]]] = field(default_factory=list)
    #: ``normalise_url(url)`` of the occurrences' URLs, as far as the parse made them
    #: (the duplicate-url rule's keys): a planner asks here before making one again
    keys: dict[str, str] = field(default_factory=dict)

    def extend(self, other: ParseResult) -> None:
        at = len(self.occurrences)
        self.rendered.extend((at + before, text) for before, text in other.rendered)
        self.occurrences.extend(other.occurrences)
        self.findings.extend(other.findings)
        self.files.extend(other.files)
        self.keys.update(other.keys)

    def key(self, url: str) -> str:
        """:func:`~linkhealth.weburl.normalise_url` of ``url`` (made once a run)."""
        found = self.keys.get(url)
        return found if found is not None else normalise_url(url)


class _FileParser:
    def __init__(
        self, text: str, file: str, comments: CommentMode, engine: Engine = "rust"
    ) -> None:
        self.engine = engine
        self.text = normalise_newlines(text)
        self.file = file
        self.comments = comments
        self.index = LineIndex(self.text)
        # lines of the file before this text (parse/split.py's worker walks the second
        # half of a file): added to every line a span names (an instance's attribute:
        # read at every span, faster than the class's)
        self.line_base = 0
        self.occurrences: list[Occurrence] = []
        self.findings: list[Finding] = []
        self._reported_defs: set[int] = set()
        # the dedupe key (normalise_url) of each occurrence, when found already (_link
        # keeps them, the two processes of parse/split.py find them at once): read if
        # there is one for each
        self.keys: list[str] = []
        self.url_keys: dict[str, str] = {}  # the keys by URL, once _duplicates made them
        # the output format the occurrences are wanted in (see ParseResult), and the
        # texts a worker rendered in it: they follow every occurrence
        self.render: str | None = None
        self.rendered: list[str | Iterable[str]] = []

    # ---- positions and results ------------------------------------------------

    def _span(self, start: int, end: int) -> tuple[int, int, int, int]:
        line, col = self.index.position(start)
        line += self.line_base
        if self.text.find("\n", start, end) == -1:  # on one line: no second look-up
            return line, col, line, col + end - start
        end_line, end_col = self.index.position(end)
        return line, col, end_line + self.line_base, end_col

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
        plain = plain_url(url)  # matched once for the diagnosis and the dedupe key
        diag = diagnose_matched(url, plain, destination=destination)
        if diag is not None:
            ds, de = diag_span or (start, end)
            if diag_span is not None and not self._first_report(ds):
                return
            self._finding(diag.rule, diag.message, diag.suggestion, ds, de, section, diag.severity)
            return
        key = matched_key(url, plain) if self.render is None else url  # (not kept then)
        self.add_occurrence(url, key, kind, *self._span(start, end), text, section, in_comment)

    def add_occurrence(
        self,
        url: str,
        key: str,
        kind: LinkKind,
        line: int,
        col: int,
        end_line: int,
        end_col: int,
        text: str | None,
        section: str | None,
        in_comment: bool,
    ) -> None:
        """A link that passed its diagnosis, at its span: its occurrence, and beside it the
        duplicate-url rule's ``key`` (:func:`normalise_url` of ``url``; not kept when the
        occurrences are wanted rendered)."""
        self.occurrences.append(
            occurrence(
                url, self.file, line, col, end_line, end_col, text, kind, section, in_comment
            )
        )
        if self.render is None:  # the duplicate-url rule's key, beside its occurrence
            self.keys.append(key)

    def _first_report(self, start: int) -> bool:
        """Whether the broken definition at ``start`` is reported here for the first time
        (once, at its first use)."""
        if start in self._reported_defs:
            return False
        self._reported_defs.add(start)
        return True

    # ---- documents ------------------------------------------------------------

    def run(self, worker: Worker | None = None) -> None:
        """Parse the file (its second half in ``worker``'s process, if one is given)."""
        whole = _whole_comment(self.text)
        if whole is None:
            self._parse(0, len(self.text), in_comment=False, section=None, worker=worker)
        elif self.comments is not CommentMode.SKIP:
            self._parse(whole[0], whole[1], in_comment=True, section=None)
        skip = ignored_lines(self.text)
        if skip:
            dropped = sum(1 for o in self.occurrences if o.line in skip)
            if len(self.keys) == len(self.occurrences):  # kept beside their occurrences
                pairs = zip(self.keys, self.occurrences, strict=True)
                self.keys = [k for k, o in pairs if o.line not in skip]
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
        if self.render is None:  # (not printed by the extract command)
            self._duplicates()
        self.occurrences.sort(key=PLACE)
        self.findings.sort(key=lambda f: (f.line, f.column, f.rule))

    def _parse(
        self,
        start: int,
        end: int,
        *,
        in_comment: bool,
        section: str | None,
        worker: Worker | None = None,
    ) -> None:
        """Parse ``text[start:end]`` (the file, or the inside of a comment); with a
        ``worker``, the file in two processes (:mod:`.split`) when it can be cut."""
        if self.engine == "rust":
            mark = (len(self.occurrences), len(self.findings), set(self._reported_defs))
            try:
                if worker is not None:
                    from linkhealth.parse.split import parse_halves

                    if parse_halves(self, worker):
                        return
                self._restore(mark)  # not cut, or the worker failed: one process
                Walk(self, start, end, in_comment=in_comment).run(section)
                return
            except BaseException as exc:
                if not rust_refused(exc):
                    raise
            self._restore(mark)
        from linkhealth.parse.fallback import FallbackWalk  # markdown-it-py: only if needed

        FallbackWalk(self, start, end, in_comment=in_comment).run(section)

    def _restore(self, mark: tuple[int, int, set[int]]) -> None:
        """Forget what was found since ``mark`` was taken."""
        del self.occurrences[mark[0] :], self.findings[mark[1] :]
        self._reported_defs = set(mark[2])
        del self.keys[mark[0] :]
        self.rendered = []

    def _scan(
        self,
        content: str,
        to_file: Callable[[int], int],
        hard: list[tuple[int, int]],
        section: str | None,
        in_comment: bool,
    ) -> None:
        """Lint findings and bare URLs in one run of inline ``content`` outside the
        ``hard`` ranges the parser consumed; ``to_file`` maps its offsets into the file."""

        if not hard:
            outside = content
        elif len(hard) == 1:  # (_outside of one range; the hints are one character each)
            if (
                ANY_HINT.search(content, 0, hard[0][0]) is None
                and ANY_HINT.search(content, hard[0][1]) is None
            ):
                return
            outside = _outside(content, hard)
        else:
            outside = _outside(content, hard)
        if ANY_HINT.search(outside) is None:  # neither hint below: the common case
            return

        def is_hard(pos: int) -> bool:
            k = bisect_right(hard, (pos, float("inf"))) - 1
            return k >= 0 and hard[k][0] <= pos < hard[k][1]

        hits: list[TextHit] = []
        if SCAN_HINT.search(outside):
            hits = scan_text(content, is_hard)
            for h in hits:
                self._finding(
                    h.rule,
                    h.message,
                    h.suggestion,
                    to_file(h.start),
                    to_file(h.end),
                    section,
                    h.severity,
                )
        if _BARE_HINT.search(outside):  # a bare URL lies in one run outside them
            self._bare(content, hard, hits, to_file, section, in_comment)

    def _bare(
        self,
        content: str,
        hard: list[tuple[int, int]],
        hits: list[TextHit],
        to_file: Callable[[int], int],
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
                            to_file(s),
                            to_file(e),
                            None,
                            section,
                            in_comment,
                            destination=False,
                        )
            pos = max(pos, b)

    # ---- HTML -----------------------------------------------------------------

    def _html(self, a: int, b: int, in_comment: bool, section: str | None) -> None:
        region = self.text[a:b]
        if "<" not in region:
            return
        comments = [(c.start(), c.end()) for c in _COMMENT_RE.finditer(region)]
        for cs, ce in comments:
            if self.comments is CommentMode.INCLUDE and not in_comment:
                inner_end = ce - 3 if region.endswith("-->", cs, ce) else ce
                self._parse(
                    a + cs + 4, a + max(inner_end, cs + 4), in_comment=True, section=section
                )
        for mt in _HTML_ATTR_RE.finditer(region):
            if any(cs <= mt.start() < ce for cs, ce in comments):
                continue
            self._html_tag(region, mt.start(), mt.end(), lambda p: a + p, section, in_comment)

    def _html_tag(
        self,
        source: str,
        s: int,
        e: int,
        to_file: Callable[[int], int],
        section: str | None,
        in_comment: bool,
    ) -> None:
        """The ``href``/``src`` of one inline HTML tag at ``source[s:e]``."""
        for mt in _HTML_ATTR_RE.finditer(source, s, e):
            group = next(g for g in ("dq", "sq", "uq") if mt.group(g) is not None)
            a, b = to_file(mt.start(group)), to_file(mt.end(group))
            self._link(
                LinkKind.HTML, html.unescape(mt.group(group)), a, b, None, section, in_comment
            )

    # ---- file-wide rules ------------------------------------------------------

    def _written(self, occ: Occurrence) -> str:
        """The occurrence's span as written (``www.x.org``, not ``http://www.x.org``)."""
        starts = self.index.starts
        return self.text[
            starts[occ.line - 1] + occ.column - 1 : starts[occ.end_line - 1] + occ.end_column - 1
        ]

    def occurrence_keys(self) -> list[str]:
        """The dedupe key of each occurrence: those kept beside them, else made now."""
        if len(self.keys) == len(self.occurrences):
            return self.keys
        return [normalise_url(o.url) for o in self.occurrences]

    def _duplicates(self) -> None:
        occurrences, keys = self.occurrences, self.occurrence_keys()
        self.url_keys = dict(zip(map(_URL, occurrences), keys, strict=True))
        if len(set(keys)) == len(keys):  # every URL once (a set is made ~3x as fast as a
            return  # Counter, and no key is looked up again for each occurrence)
        # counted first: a list for each URL written twice or more, not for every URL
        # (100,000 lists were the peak of a large file's memory)
        counts = Counter(keys)
        groups: dict[str, list[Occurrence]] = defaultdict(list)
        for occ, key in zip(occurrences, keys, strict=True):
            if counts[key] > 1:
                groups[key].append(occ)
        del counts
        for url, occs in groups.items():
            # At most DUPLICATE_LINES_SHOWN lines named: every copy has a finding, and a
            # message naming every line made the output grow with the square of the copies
            # (a 4.5 MB list of one URL: 1.25 GB of lint JSON).
            lines = ", ".join(str(o.line) for o in occs[:DUPLICATE_LINES_SHOWN])
            if len(occs) > DUPLICATE_LINES_SHOWN:
                lines += f" and {len(occs) - DUPLICATE_LINES_SHOWN:,} more"
            message = f"{url} appears {len(occs):,} times in this file (lines {lines})"
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


def occurrence(
    url: str,
    file: str,
    line: int,
    column: int,
    end_line: int,
    end_column: int,
    text: str | None,
    kind: LinkKind,
    section: str | None,
    in_comment: bool,
    _new: Callable[[type[Occurrence]], Occurrence] = object.__new__,  # (a local: read fast)
) -> Occurrence:
    """``Occurrence(url=url, file=file, ...)`` with these values: the same object (its ten
    slots set, as the dataclass's ``__init__`` sets them), made without that ``__init__``,
    whose ten keywords matched by name cost ~1.5 us where setting the slots costs ~0.3 us
    (a list makes one per link; tests/parse/test_records.py compares the two)."""
    occ = _new(Occurrence)
    occ.url = url
    occ.file = file
    occ.line = line
    occ.column = column
    occ.end_line = end_line
    occ.end_column = end_column
    occ.text = text
    occ.kind = kind
    occ.section = section
    occ.in_comment = in_comment
    return occ


def rust_refused(exc: BaseException) -> bool:
    """Whether ``exc`` says the Rust parser cannot take a region (then markdown-it-py
    parses it, as every file was before): markdown-it-pyrs panics on a few inputs (an
    unclosed ` after a [, as in "[`x"), misplaces inline nodes after a tab in a line's
    indentation and has no nesting limit; a panic not foreseen counts the same, late."""
    return isinstance(exc, (RustParserUnsafe, RecursionError)) or (
        type(exc).__name__ == "PanicException"
    )


def _outside(content: str, hard: list[tuple[int, int]]) -> str:
    """The characters of ``content`` outside the sorted ``hard`` ranges."""
    if not hard:
        return content
    parts = []
    pos = 0
    for a, b in hard:
        parts.append(content[pos:a])
        pos = max(pos, b)
    parts.append(content[pos:])
    return "".join(parts)


def _whole_comment(text: str) -> tuple[int, int] | None:
    """The inside of the comment when the whole text is one HTML comment."""
    start = len(text) - len(text.lstrip())
    if not text.startswith("<!--", start):
        return None
    close = text.find("-->", start + 4)
    # An inline ignore marker inside the draft does not end the draft's comment.
    markers = marker_ends(text) if has_markers(text) else set()
    while close != -1 and close + 3 in markers:
        close = text.find("-->", close + 3)
    if close == -1:
        return start + 4, len(text)
    if text[close + 3 :].strip():
        return None
    return start + 4, close


# The common bare URL: http(s), dotted lower-case host, a path of word characters and
# hyphens, whitespace after it. In a run with no other ":", no "@" and no "www.", linkify
# finds it and nothing else (tests/parse/test_fast_paths.py compares the two).
_PLAIN_BARE_RE = lazy_compile(
    r"(?:^|(?<=[ \t\n]))https?://[a-z0-9]+(?:[.-][a-z0-9]+)*\.[a-z]{2,}(?:/[A-Za-z0-9_-]+)*/?"
    r"(?=[ \t\n]|$)"
)


def _bare_matches(run: str) -> list[tuple[int, int, str]]:
    if "@" not in run and run.count(":") == 1 and "www." not in run.lower():
        plain = _PLAIN_BARE_RE.search(run)
        if plain is not None:
            return [(plain.start(), plain.end(), plain.group())]
    return _linkified(run)


def _linkified(run: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for mt in _linkify().match(run) or []:
        raw = run[mt.index : mt.last_index]
        url = raw if mt.schema else "mailto:" + raw
        found.append((mt.index, mt.last_index, url))
    if "www." in run.lower():
        for w in _WWW_RE.finditer(run):
            p = w.start()
            if any(s <= p < e for s, e, _ in found):
                continue
            mt = _linkify().match_at_start("http://" + run[p:])
            if mt is not None and mt.last_index > len("http://www."):
                end = p + mt.last_index - len("http://")
                found.append((p, end, "http://" + run[p:end]))
    return found


def extract_text(
    text: str,
    file: str,
    *,
    comments: CommentMode = CommentMode.AUTO,
    engine: Engine = "rust",
    worker: Worker | None = None,
    render: str | None = None,
) -> ParseResult:
    """Every link occurrence and lint finding in ``text`` (the content of ``file``).

    Pure: reads nothing, never raises on any text. ``engine="python"`` parses with
    markdown-it-py, the fallback (same results; kept to compare the two). A ``worker``
    (:func:`.split.start_worker`) parses the second half of a large file at once, with
    the same results; it is ended here in every case. ``render``: an extract output
    format the occurrences are wanted in (see :class:`ParseResult`).
    """
    parser = _FileParser(text, file, comments, engine)
    parser.render = render
    try:
        with _cycles_uncollected():
            parser.run(worker)
    finally:
        if worker is not None:
            worker.cancel()
    n = len(parser.occurrences)
    return ParseResult(
        parser.occurrences,
        parser.findings,
        [file],
        [(n, t) for t in parser.rendered],
        parser.url_keys,
    )


@contextmanager
def _cycles_uncollected() -> Iterator[None]:
    """The cyclic garbage collector paused while one file is parsed (as it was found).

    The walk allocates millions of objects that form no cycles (tree nodes, spans,
    occurrences); every full collection on the way traversed all that were alive: 13 %
    of a 100,000-link file's CPU. What cycles there are (a caught exception's traceback)
    are collected once it runs again."""
    if not gc.isenabled():  # paused by the caller, or by another parse in another thread
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
