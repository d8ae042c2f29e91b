"""Rewriting a Markdown list from link spans and check results, touching nothing else.

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
(:func:`linkhealth.textsafe.clean_text`) and then escaped by :func:`md_inline`, so
no title can open a link, image, heading, list item, HTML element, code span,
emphasis, table cell, entity, Liquid tag or close the HTML comment a list may sit
in. URLs are written by :func:`md_destination` (percent-encoding what could end or
break a destination; ``<…>`` when the URL holds parentheses).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from linkhealth.annotate.dead import ARCHIVE_MARKER, archive_marker, original_of, with_copy
from linkhealth.annotate.lines import (
    continues,
    front_matter_lines,
    item_prefix_end,
    split_lines,
)
from linkhealth.annotate.links import (
    Edit,
    inline_link_end,
    inline_link_start,
    locate,
    replace_url,
    written_url,
)
from linkhealth.annotate.markers import MARKER, fails, marker_text
from linkhealth.annotate.options import BOM, SEPARATOR, AnnotateOptions
from linkhealth.models import CheckResult, Finding, LinkKind, Occurrence, Severity, Verdict
from linkhealth.textsafe import is_web_url, md_autolink, md_destination, md_inline, percent_encode


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
        self.edits: list[Edit] = []
        # start, end, result, starts the item, the occurrence (when its URL may be replaced)
        self.links: list[tuple[int, int, CheckResult | None, bool, Occurrence | None]] = []

    # Each handler records edits on this line; ``finish`` applies them.

    def occurrence(self, occ: Occurrence) -> None:
        content, options = self.content, self.options
        extent = locate(content, occ)
        if extent is None:
            # Unsure where the link ends: only a redirect fix of the URL itself.
            result = _lookup(self.results, occ.url)
            if options.fix_redirects and result is not None:
                target = _redirect_target(occ.url, result)
                written = written_url(content, occ)
                if target and written.strip() == occ.url.strip():
                    edit = replace_url(content, occ, target)
                    if edit is not None:
                        self.edits.append(edit)
                        self.links.append((edit.start, edit.end, None, False, None))
            return
        start, end = extent
        result = _lookup(self.results, occ.url)
        url = occ.url
        target = _redirect_target(url, result) if options.fix_redirects and result else None
        prefix_end = item_prefix_end(content)
        starts_item = prefix_end is not None and content[prefix_end:start].strip() == ""
        bare = occ.kind in (LinkKind.BARE, LinkKind.AUTOLINK)
        title = (
            md_inline(result.title, options.title_limit)
            if result is not None and result.title and result.verdict.is_ok()
            else ""
        )
        if bare and starts_item and title:
            dest = md_destination(target or written_url(content, occ))
            self.edits.append(Edit(start, end, f"[{title}]({dest})"))
        elif target is not None:
            written = written_url(content, occ)
            if written.strip() == url.strip():
                edit = replace_url(content, occ, target)
                if edit is not None:
                    self.edits.append(edit)
        self.links.append((start, end, result, starts_item, occ))

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
            link_start = inline_link_start(content, start)
            link_end = inline_link_end(content, end)
        else:
            link_start, link_end = start, end
        if self.options.fix_typos and suggestion is not None:
            if start > 0 and content[start - 1] == "(":
                text = md_destination(suggestion)
            elif start > 0 and content[start - 1] == "<" and content[end : end + 1] == ">":
                text = percent_encode(suggestion)
            else:
                text = md_autolink(suggestion)
            self.edits.append(Edit(start, end, text))
            fixed = _lookup(self.results, suggestion)
            if link_start is not None and link_end is not None:
                prefix_end = item_prefix_end(content)
                starts_item = (
                    prefix_end is not None and content[prefix_end:link_start].strip() == ""
                )
                self.links.append((link_start, link_end, fixed, starts_item, None))
            return
        if link_end is None:
            link_end = closing
        self.links.append(
            (link_start if link_start is not None else start, link_end, result, False, None)
        )

    def finish(self) -> str:
        content, options = self.content, self.options
        self.links.sort(key=lambda item: item[0])
        only_link = len(self.links) == 1
        for _start, end, result, starts_item, occ in self.links:
            if self._archived(end, occ):
                continue
            match = MARKER.match(content[end:])
            marker_end = end + (match.end() if match else 0)
            failing = result is not None and fails(result, options)
            if failing and result is not None:
                new_marker = marker_text(result, match.group(2) if match else None, options)
                new_marker = self._dead(result, occ, new_marker, match["copy"] if match else None)
            else:
                new_marker = ""
            old_marker = content[end:marker_end]
            if new_marker != old_marker:
                self.edits.append(Edit(end, marker_end, new_marker))
            if failing or result is None or not only_link or not starts_item:
                continue
            self._description(result, marker_end)
        return self._apply()

    def _dead(
        self, result: CheckResult, occ: Occurrence | None, marker: str, copy: str | None
    ) -> str:
        """A failing link's marker with its archived copy (``fix_dead``; annotate/dead.py)."""
        if not result.archive_url:
            return with_copy(marker, copy) if copy else marker  # no look-up this run: kept
        if self.options.fix_dead == "archive" and occ is not None:
            edit = replace_url(self.content, occ, result.archive_url)
            if edit is not None:
                self.edits.append(edit)
                return archive_marker(written_url(self.content, occ), marker)
        return with_copy(marker, md_destination(result.archive_url))

    def _archived(self, end: int, occ: Occurrence | None) -> bool:
        """A link pointed at its archived copy: restored when the original answers ok again,
        its marker updated while the original still fails."""
        match = ARCHIVE_MARKER.match(self.content, end)
        if match is None:
            return False
        original = original_of(match)
        result = _lookup(self.results, original)
        if result is not None and result.verdict.is_ok():
            edit = replace_url(self.content, occ, original) if occ is not None else None
            if edit is not None:
                self.edits += [edit, Edit(end, match.end(), "")]
        elif result is not None and fails(result, self.options):
            failure = marker_text(result, match["day"], self.options)
            new_marker = archive_marker(original, failure)
            if new_marker != match.group(0):
                self.edits.append(Edit(end, match.end(), new_marker))
        return True

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
            if body or continues(self.lines, self.index):
                return
            self.edits.append(Edit(after, after, SEPARATOR + description))
            return
        sep = body.rfind(SEPARATOR)
        if sep == -1:
            self.edits.append(Edit(after + len(body), after + len(body), SEPARATOR + description))
            return
        if body[sep + len(SEPARATOR) :] != description:
            self.edits.append(Edit(after + sep, after + len(body), SEPARATOR + description))

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
