"""Rewrite a Markdown list from link spans and check results, touching nothing else.

What changes, and only there (every edit is a span of one line; line ends, the BOM,
front matter and every other byte stay as they were):

* a bare URL (or ``<autolink>``) that starts a list item and answered OK with a title
  becomes ``[Title](url)``;
* an item whose only content is one link gets `` — description`` after it when it
  has none (``descriptions="always"``: the text after the item's last `` — `` is
  replaced by the current description, or the description is appended);
* a failing link gets a marker right after it, ``(broken since 2026-11-20: 404)``,
  which later runs recognise: updated, kept, or removed when the link recovers;
* ``fix_redirects``: a permanently redirected URL is replaced by its final URL;
* ``fix_typos``: a malformed link whose suggested URL was checked OK is replaced
  by the suggestion.

Idempotent: an annotated item is no longer a bare URL and already has its
description, and markers are recognised, so a second run with the same results
changes nothing.

Fetched text is untrusted: titles and descriptions are sanitised
(:func:`linkhealth.sanitize.clean_text`) and then escaped by :func:`md_inline`, so
no title can open a link, image, heading, list item, HTML element, code span,
emphasis, table cell, entity, Liquid tag or close the HTML comment a list may sit
in. URLs are written by :func:`md_destination` (percent-encoding what could end or
break a destination; ``<…>`` when the URL holds parentheses).
"""

from __future__ import annotations

import difflib
import itertools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from linkhealth.config import CommentMode
from linkhealth.errors import InputError
from linkhealth.fsutil import atomic_write_bytes
from linkhealth.models import CheckResult, Finding, LinkKind, Occurrence, Severity, Verdict
from linkhealth.report.escape import md_text
from linkhealth.sanitize import clean_text

DEFAULT_TITLE_LIMIT = 150
DEFAULT_DESCRIPTION_LIMIT = 240
SEPARATOR = " — "
BOM = "\ufeff"
BOM_BYTES = BOM.encode("utf-8")

DescriptionMode = Literal["missing", "always"]
DESCRIPTION_MODES: tuple[DescriptionMode, ...] = ("missing", "always")


class FileChangedError(InputError):
    """The file changed on disk between reading and writing; nothing was written."""


@dataclass(frozen=True)
class AnnotateOptions:
    descriptions: DescriptionMode = "missing"
    fix_redirects: bool = False
    fix_typos: bool = False
    strict: bool = False  # count ``blocked`` as failing (marker)
    fail_after: int = 1  # a marker only after this many failing runs in a row
    comments: CommentMode = CommentMode.AUTO
    title_limit: int = DEFAULT_TITLE_LIMIT
    description_limit: int = DEFAULT_DESCRIPTION_LIMIT
    today: date | None = None  # marker date when a result carries none


@dataclass(frozen=True)
class AnnotateChange:
    """One file's rewrite: the bytes read, the bytes to write, and a unified diff."""

    path: Path
    old: bytes
    new: bytes
    diff: str
    display: str = ""

    @property
    def changed(self) -> bool:
        return self.old != self.new


# --- escaping ------------------------------------------------------------------------


def md_inline(text: str, limit: int | None = None) -> str:
    """Inline Markdown that renders as ``text`` (sanitised, one line) and opens nothing.

    The reports' escaper (:func:`linkhealth.report.escape.md_text`) plus one rule of
    annotate's own: the list is often a Jekyll page, so ``{%`` never appears either.
    Safe inside link text, after other inline text, and inside an HTML comment
    (``>`` is always escaped, so ``-->`` cannot appear).
    """
    cleaned = clean_text(text, limit) if limit is not None else clean_text(text)
    if not cleaned:
        return ""
    return md_text(cleaned).replace("\\{%", "\\{\\%")


_INVISIBLE_IN_URL = frozenset(
    [chr(c) for c in range(0x00, 0x21)]
    + [chr(c) for c in range(0x7F, 0xA1)]
    + list("\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u2060\ufeff")
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
_URL_ENCODE = frozenset("<>\\|`\"'") | _INVISIBLE_IN_URL


def _percent(url: str, extra: frozenset[str] = frozenset()) -> str:
    out: list[str] = []
    for ch in url:
        if ch in _URL_ENCODE or ch in extra:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


def is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def md_destination(url: str) -> str:
    """A link destination for ``(…)``: ``url`` or ``<url>`` (when it has parentheses),
    with whitespace, controls, ``< > \\ | ` " '`` percent-encoded."""
    encoded = _percent(url.strip())
    if "(" in encoded or ")" in encoded:
        return f"<{encoded}>"
    return encoded


def md_autolink(url: str) -> str:
    """``<url>``, percent-encoded so it stays one autolink."""
    return f"<{_percent(url.strip())}>"


def html_attribute_url(url: str) -> str:
    return _percent(url.strip()).replace("&", "&amp;")


# --- lines ---------------------------------------------------------------------------

_EOL = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[tuple[str, str]]:
    """``text`` as ``(content, line end)`` pairs, with the parser's line numbering."""
    out: list[tuple[str, str]] = []
    pos = 0
    for match in _EOL.finditer(text):
        out.append((text[pos : match.start()], match.group()))
        pos = match.end()
    if pos < len(text) or not out:
        out.append((text[pos:], ""))
    return out


def front_matter_lines(lines: Sequence[tuple[str, str]]) -> int:
    """How many leading lines are YAML (``---``) or TOML (``+++``) front matter."""
    if not lines:
        return 0
    fence = lines[0][0].rstrip()
    if fence not in ("---", "+++"):
        return 0
    closers = ("---", "...") if fence == "---" else ("+++",)
    for i in range(1, len(lines)):
        if lines[i][0].rstrip() in closers:
            return i + 1
    return 0


# A list item's first line: optional indentation and blockquote markers, a bullet
# or an ordered marker, and an optional task checkbox.
_LIST_ITEM = re.compile(
    r"^(?:[ \t]*>[ \t]?)*[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+\[[ xX]\])?(?:[ \t]+|$)"
)
_BLANK = re.compile(r"^[ \t]*(?:>[ \t]*)*$")

_MARKER = re.compile(
    r"^ \((broken|invalid|timeout|error|unsafe|blocked) since (\d{4}-\d{2}-\d{2})"
    r"(?:: [A-Za-z0-9.\-]+)?\)"
)


def _item_prefix_end(content: str) -> int | None:
    match = _LIST_ITEM.match(content)
    return match.end() if match else None


def _continues(lines: Sequence[tuple[str, str]], index: int) -> bool:
    """Whether the line after ``index`` continues the item with text of its own."""
    if index + 1 >= len(lines):
        return False
    nxt = lines[index + 1][0]
    if _BLANK.match(nxt) or _LIST_ITEM.match(nxt):
        return False
    return not nxt.lstrip().startswith(("-->", "```", "~~~", "#", "<"))


# --- decisions -----------------------------------------------------------------------


def _fails(result: CheckResult, options: AnnotateOptions) -> bool:
    if not result.verdict.is_failing(strict=options.strict):
        return False
    return max(result.failing_runs, 1) >= options.fail_after


def _marker(result: CheckResult, existing_date: str | None, options: AnnotateOptions) -> str:
    when = result.failing_since or result.checked_at
    day = (
        when.date().isoformat()
        if when is not None
        else existing_date or (options.today or date.today()).isoformat()
    )
    reason = ""
    if result.http_status is not None:
        reason = str(result.http_status)
    elif result.error_kind is not None:
        reason = result.error_kind.value.replace("_", "-")
    elif result.verdict is Verdict.INVALID:
        reason = "malformed"
    tail = f": {reason}" if reason else ""
    return f" ({result.verdict.value} since {day}{tail})"


def _redirect_target(occ_url: str, result: CheckResult) -> str | None:
    """The URL a permanently redirected link should point to, or ``None``."""
    final = result.final_url
    if result.verdict is not Verdict.REDIRECTED or not result.permanent or not final:
        return None
    if result.redirects and any(hop.status not in (301, 308) for hop in result.redirects):
        return None
    if not is_web_url(final):
        return None
    try:
        old, new = urlsplit(occ_url.strip()), urlsplit(final)
    except ValueError:
        return None
    if old.scheme.lower() == "https" and new.scheme.lower() == "http":
        return None  # never downgrade
    if old.fragment and not new.fragment:
        final = f"{final.split('#', 1)[0]}#{old.fragment}"
    return final if final != occ_url else None


def _lookup(results: Mapping[str, CheckResult], url: str) -> CheckResult | None:
    from linkhealth.parse import normalise_url

    found = results.get(normalise_url(url))
    if found is None:
        found = results.get(url.strip())
    return found


def _inline_link_start(content: str, dest_start: int) -> int | None:
    """Where ``[text](dest…`` starts, given where the destination starts."""
    j = dest_start
    if j > 0 and content[j - 1] == "<":
        j -= 1
    j -= 1
    while j >= 0 and content[j] in " \t":
        j -= 1
    if j < 1 or content[j] != "(" or content[j - 1] != "]":
        return None
    depth = 0
    k = j - 1
    while k >= 0:
        ch = content[k]
        escaped = k > 0 and content[k - 1] == "\\"
        if not escaped:
            if ch == "]":
                depth += 1
            elif ch == "[":
                depth -= 1
                if depth == 0:
                    return k - 1 if k > 0 and content[k - 1] == "!" else k
        k -= 1
    return None


_TITLE_AFTER_DEST = re.compile(
    r"""[ \t]+(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\))"""
)


def _inline_link_end(content: str, dest_end: int) -> int | None:
    """Just past the ``)`` that closes ``[text](dest "title")``."""
    pos = dest_end
    if pos < len(content) and content[pos] == ">":
        pos += 1
    match = _TITLE_AFTER_DEST.match(content, pos)
    if match:
        pos = match.end()
    while pos < len(content) and content[pos] in " \t":
        pos += 1
    if pos < len(content) and content[pos] == ")":
        return pos + 1
    return None


@dataclass
class _Edit:
    start: int
    end: int
    text: str


def _locate(content: str, occ: Occurrence) -> tuple[int, int] | None:
    """The whole link's extent for ``occ`` on its line, or ``None`` if unsure."""
    start, end = occ.column - 1, occ.end_column - 1
    if not (0 <= start <= end <= len(content)):
        return None
    written = content[start:end]
    if occ.kind is LinkKind.BARE:
        return (start, end) if written == occ.url else None
    if occ.kind is LinkKind.AUTOLINK:
        if written.startswith("<") and written.endswith(">"):
            return start, end
        if start > 0 and content[start - 1] == "<" and end < len(content) and content[end] == ">":
            return start - 1, end + 1
        return None
    if occ.kind in (LinkKind.INLINE, LinkKind.IMAGE):
        link_start = _inline_link_start(content, start)
        link_end = _inline_link_end(content, end)
        if link_start is None or link_end is None:
            return None
        return link_start, link_end
    return None


def _written_url(content: str, occ: Occurrence) -> str:
    written = content[occ.column - 1 : occ.end_column - 1]
    if written.startswith("<") and written.endswith(">"):
        return written[1:-1]
    return written


def _replace_url(content: str, occ: Occurrence, new_url: str) -> _Edit | None:
    """An edit putting ``new_url`` where ``occ``'s URL is written, in that construct's form."""
    start, end = occ.column - 1, occ.end_column - 1
    written = content[start:end]
    angled = written.startswith("<") and written.endswith(">")
    if (
        not angled
        and start > 0
        and end < len(content)
        and content[start - 1] == "<"
        and content[end] == ">"
    ):
        start, end, angled = start - 1, end + 1, True
    if occ.kind is LinkKind.BARE:
        return _Edit(start, end, md_autolink(new_url))
    if occ.kind is LinkKind.AUTOLINK:
        return _Edit(start, end, md_autolink(new_url))
    if occ.kind in (LinkKind.INLINE, LinkKind.IMAGE, LinkKind.REFERENCE):
        return _Edit(start, end, md_destination(new_url))
    if occ.kind is LinkKind.HTML and start > 0 and content[start - 1] in "\"'":
        return _Edit(start, end, html_attribute_url(new_url))
    return None


def _finding_fix(
    finding: Finding,
    results: Mapping[str, CheckResult],
) -> tuple[CheckResult | None, str | None]:
    """The ``invalid`` result for a malformed link and its checked-OK suggestion, if any.

    Other findings (duplicates, warnings) are not links to rewrite: ``(None, None)``.
    """
    raw = finding.raw
    result = results.get(raw) if raw is not None else None
    if result is not None and result.verdict is not Verdict.INVALID:
        result = None
    if result is None and finding.severity is not Severity.ERROR:
        return None, None
    suggestion = finding.suggestion
    if suggestion is None or suggestion == raw or not is_web_url(suggestion):
        return result, None
    ok = bool(result is not None and result.suggestion_ok and result.suggestion == suggestion)
    if not ok:
        target = _lookup(results, suggestion)
        ok = target is not None and target.verdict.is_ok()
    return result, suggestion if ok else None


class _LineRewriter:
    def __init__(
        self,
        lines: Sequence[tuple[str, str]],
        index: int,
        results: Mapping[str, CheckResult],
        options: AnnotateOptions,
    ) -> None:
        self.lines = lines
        self.index = index
        self.content = lines[index][0]
        self.results = results
        self.options = options
        self.edits: list[_Edit] = []
        self.links: list[tuple[int, int, CheckResult | None, bool]] = []  # start, end, result, bare

    # Each handler records edits on this line; ``finish`` applies them.

    def occurrence(self, occ: Occurrence) -> None:
        content, options = self.content, self.options
        extent = _locate(content, occ)
        if extent is None:
            # Unsure where the link ends: only a redirect fix of the URL itself.
            result = _lookup(self.results, occ.url)
            if options.fix_redirects and result is not None:
                target = _redirect_target(occ.url, result)
                written = _written_url(content, occ)
                if target and written.strip() == occ.url.strip():
                    edit = _replace_url(content, occ, target)
                    if edit is not None:
                        self.edits.append(edit)
                        self.links.append((edit.start, edit.end, None, False))
            return
        start, end = extent
        result = _lookup(self.results, occ.url)
        url = occ.url
        target = _redirect_target(url, result) if options.fix_redirects and result else None
        prefix_end = _item_prefix_end(content)
        starts_item = prefix_end is not None and content[prefix_end:start].strip() == ""
        bare = occ.kind in (LinkKind.BARE, LinkKind.AUTOLINK)
        title = (
            md_inline(result.title, options.title_limit)
            if result is not None and result.title and result.verdict.is_ok()
            else ""
        )
        if bare and starts_item and title:
            dest = md_destination(target or _written_url(content, occ))
            self.edits.append(_Edit(start, end, f"[{title}]({dest})"))
        elif target is not None:
            written = _written_url(content, occ)
            if written.strip() == url.strip():
                edit = _replace_url(content, occ, target)
                if edit is not None:
                    self.edits.append(edit)
        self.links.append((start, end, result, starts_item))

    def finding(self, finding: Finding) -> None:
        content = self.content
        start, end = finding.column - 1, (finding.end_column or finding.column) - 1
        if finding.raw is None or content[start:end] != finding.raw:
            return
        result, suggestion = _finding_fix(finding, self.results)
        if result is None and suggestion is None:
            return
        closing = end
        if start > 0 and content[start - 1] == "(":
            link_start = _inline_link_start(content, start)
            link_end = _inline_link_end(content, end)
        else:
            link_start, link_end = start, end
        if self.options.fix_typos and suggestion is not None:
            if start > 0 and content[start - 1] == "(":
                text = md_destination(suggestion)
            elif start > 0 and content[start - 1] == "<" and content[end : end + 1] == ">":
                text = _percent(suggestion)
            else:
                text = md_autolink(suggestion)
            self.edits.append(_Edit(start, end, text))
            fixed = _lookup(self.results, suggestion)
            if link_start is not None and link_end is not None:
                prefix_end = _item_prefix_end(content)
                starts_item = (
                    prefix_end is not None and content[prefix_end:link_start].strip() == ""
                )
                self.links.append((link_start, link_end, fixed, starts_item))
            return
        if link_end is None:
            link_end = closing
        self.links.append(
            (link_start if link_start is not None else start, link_end, result, False)
        )

    def finish(self) -> str:
        content, options = self.content, self.options
        self.links.sort(key=lambda item: item[0])
        only_link = len(self.links) == 1
        for _start, end, result, starts_item in self.links:
            match = _MARKER.match(content[end:])
            marker_end = end + (match.end() if match else 0)
            failing = result is not None and _fails(result, options)
            if failing and result is not None:
                new_marker = _marker(result, match.group(2) if match else None, options)
            else:
                new_marker = ""
            old_marker = content[end:marker_end]
            if new_marker != old_marker:
                self.edits.append(_Edit(end, marker_end, new_marker))
            if failing or result is None or not only_link or not starts_item:
                continue
            self._description(result, marker_end)
        return self._apply()

    def _description(self, result: CheckResult, after: int) -> None:
        content, options = self.content, self.options
        if not result.verdict.is_ok() or not result.description:
            return
        description = md_inline(result.description, options.description_limit)
        if not description:
            return
        title = md_inline(result.title or "", options.title_limit)
        if description == title:
            return
        tail = content[after:]
        body = tail.rstrip()
        if options.descriptions == "missing":
            if body or _continues(self.lines, self.index):
                return
            self.edits.append(_Edit(after, after, SEPARATOR + description))
            return
        sep = body.rfind(SEPARATOR)
        if sep == -1:
            self.edits.append(_Edit(after + len(body), after + len(body), SEPARATOR + description))
            return
        if body[sep + len(SEPARATOR) :] != description:
            self.edits.append(_Edit(after + sep, after + len(body), SEPARATOR + description))

    def _apply(self) -> str:
        content = self.content
        unique = {(e.start, e.end, e.text): e for e in self.edits}
        edits = sorted(unique.values(), key=lambda e: (e.start, e.end))
        # Overlapping edits mean the spans disagree with the text: change nothing.
        for first, second in itertools.pairwise(edits):
            if second.start < first.end:
                return content
        for edit in reversed(edits):
            content = content[: edit.start] + edit.text + content[edit.end :]
        return content


def rewrite(
    text: str,
    occurrences: Sequence[Occurrence],
    findings: Sequence[Finding],
    results: Mapping[str, CheckResult],
    *,
    options: AnnotateOptions,
) -> str:
    """``text`` (no BOM) with the edits the module docstring lists, given parsed links."""
    lines = split_lines(text)
    skip = front_matter_lines(lines)
    by_line: dict[int, list[Occurrence | Finding]] = {}
    for occ in occurrences:
        if occ.line == occ.end_line and skip < occ.line <= len(lines):
            by_line.setdefault(occ.line - 1, []).append(occ)
    for finding in findings:
        end_line = finding.end_line if finding.end_line is not None else finding.line
        if (
            finding.raw is not None
            and end_line == finding.line
            and skip < finding.line <= len(lines)
        ):
            by_line.setdefault(finding.line - 1, []).append(finding)
    if not by_line:
        return text
    out: list[str] = []
    for index, (content, ending) in enumerate(lines):
        items = by_line.get(index)
        if items:
            writer = _LineRewriter(lines, index, results, options)
            for item in items:
                if isinstance(item, Occurrence):
                    writer.occurrence(item)
                else:
                    writer.finding(item)
            content = writer.finish()
        out.append(content)
        out.append(ending)
    return "".join(out)


def annotate_text(
    text: str,
    file: str,
    results: Mapping[str, CheckResult],
    *,
    options: AnnotateOptions,
) -> str:
    """The annotated ``text`` of ``file``: parses it and rewrites only the link spans."""
    from linkhealth.parse import extract_text

    bom = BOM if text.startswith(BOM) else ""
    body = text[len(bom) :]
    parsed = extract_text(body, file, comments=options.comments)
    return bom + rewrite(body, parsed.occurrences, parsed.findings, results, options=options)


# --- files ---------------------------------------------------------------------------


def unified_diff(old: str, new: str, display: str) -> str:
    """A ``git diff``-style unified diff (``a/`` and ``b/`` paths), '' when equal."""
    if old == new:
        return ""
    old_lines = [c + e for c, e in split_lines(old) if c or e]
    new_lines = [c + e for c, e in split_lines(new) if c or e]
    out: list[str] = []
    for line in difflib.unified_diff(old_lines, new_lines, f"a/{display}", f"b/{display}"):
        if line.endswith(("\r\n", "\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _display(path: Path) -> str:
    try:
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:
        return path.as_posix()


def annotate_file(
    path: Path, results: Mapping[str, CheckResult], options: AnnotateOptions
) -> AnnotateChange:
    """Read ``path`` (through a symlink), annotate it, and describe the change."""
    try:
        old = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = old.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid UTF-8 at byte offset {exc.start}; not annotated"
        ) from exc
    display = _display(path)
    new_text = annotate_text(text, display, results, options=options)
    new = new_text.encode("utf-8")
    return AnnotateChange(
        path=path, old=old, new=new, diff=unified_diff(text, new_text, display), display=display
    )


def write_change(change: AnnotateChange) -> bool:
    """Write ``change.new`` atomically if the file still holds ``change.old``.

    Returns whether anything was written. The file's mode is kept and a symlink is
    written through. Raises :class:`FileChangedError` (nothing written) when the
    file changed on disk since it was read.
    """
    if not change.changed:
        return False
    try:
        current = change.path.read_bytes()
    except OSError as exc:
        raise InputError(f"{change.path}: cannot read: {exc.strerror or exc}") from exc
    if current != change.old:
        raise FileChangedError(
            f"{change.path}: the file changed on disk since it was read; nothing written"
        )
    try:
        atomic_write_bytes(change.path, change.new)
    except OSError as exc:
        raise InputError(f"{change.path}: cannot write: {exc.strerror or exc}") from exc
    return True
