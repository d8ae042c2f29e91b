"""Check links that never leave the repository: relative files and ``#heading`` anchors.

A local link is resolved the way GitHub resolves it in a rendered file: relative
to the directory of the file it is written in, ``/x`` from the repository root,
``.``/``..`` segments (also percent-encoded ones) applied to the URL path before
the file system is consulted, the query string ignored. The result must stay
inside the root twice over: lexically, and after following symlinks
(``os.path.realpath``) — only then is anything below it stat'ed or read. A link
that fails either test is ``unsafe`` and its target is never opened.

No network, no parser dependency: Markdown targets are rendered with
markdown-it-py (see :mod:`linkhealth.local.anchors`) once per file.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from linkhealth.config import DEFAULT_DIRECTORY_INDEXES
from linkhealth.local.anchors import heading_anchors
from linkhealth.local.links import is_local
from linkhealth.verdicts import ErrorKind, Verdict

__all__ = ["MARKDOWN_SUFFIXES", "LocalChecker", "LocalVerdict", "is_local"]

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdx"})
# Fragments a browser always resolves (HTML spec: "top" and the empty fragment).
_ALWAYS_OK_FRAGMENTS = frozenset({"", "top"})
# Closest-match thresholds for suggestions (difflib ratio). File names share
# their suffix, so they need a stricter bar to avoid far-fetched suggestions.
SUGGESTION_CUTOFF = 0.5
FILE_SUGGESTION_CUTOFF = 0.6
# Characters left as they are when a suggested path is percent-encoded.
_PATH_SAFE = "/!$&'()*+,;=:@-._~"


@dataclass(frozen=True, slots=True)
class LocalVerdict:
    """The verdict on one local link.

    ``resolved`` is the canonical target: the repository-relative POSIX path
    (``docs/setup.md``, ``.`` for the root) plus ``#fragment`` when there is
    one; for root-relative links with a ``base_url`` it is the absolute URL the
    caller should check over HTTP (verdict ``skipped``). Two spellings of the
    same target have the same ``resolved``.
    """

    verdict: Verdict
    detail: str
    error_kind: ErrorKind | None = None
    suggestion: str | None = None
    resolved: str | None = None


@dataclass(frozen=True, slots=True)
class _Target:
    path_part: str  # the path as written (before ``?``/``#``), for suggestions
    fragment: str | None  # decoded; None when the URL has no ``#``
    raw_fragment: str | None
    lexical: str  # absolute, normalised, symlinks not followed
    key: str  # repository-relative POSIX path (may start with ``..`` when escaping)
    root: str  # the spelling of the root ``lexical`` is measured against


def _split(url: str) -> tuple[str, str | None]:
    path_and_query, hash_mark, fragment = url.partition("#")
    path, _, _query = path_and_query.partition("?")
    return path, (fragment if hash_mark else None)


def _url_path(path: str) -> str:
    """A root-relative URL path with its dot segments applied (never above ``/``)."""
    normalised = posixpath.normpath(path)
    if path.endswith("/") and normalised != "/":
        normalised += "/"
    return normalised


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class LocalChecker:
    """Checks local links against the files below ``root``.

    ``directory_indexes`` name the files that make a directory link fine
    (GitHub shows a folder's README). ``base_url`` maps root-relative links
    (``/docs/x``) to ``base_url + path`` for an HTTP check instead.

    Anchors (one Markdown parse per file), directory listings and suggestions
    are cached for the checker's lifetime: reuse one checker for a whole run.
    ``source_file`` arguments are taken relative to the current directory.
    """

    def __init__(
        self,
        root: Path | str,
        *,
        base_url: str | None = None,
        directory_indexes: Sequence[str] = DEFAULT_DIRECTORY_INDEXES,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self._root = str(self.root)
        self._root_real = os.path.realpath(self._root)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.directory_indexes = tuple(directory_indexes)
        self._anchor_cache: dict[str, list[str] | OSError] = {}
        self._listing_cache: dict[str, list[str]] = {}
        self._near_file: dict[tuple[str, str], str | None] = {}
        self._near_anchor: dict[tuple[str, str], str | None] = {}

    # -- public -----------------------------------------------------------------

    def check(self, url: str, source_file: str | Path) -> LocalVerdict:
        """The verdict on ``url`` as written in ``source_file``."""
        url = url.strip()
        if not is_local(url):
            return LocalVerdict(Verdict.SKIPPED, "not a local link", resolved=url)
        path_part, raw_fragment = _split(url)
        if path_part.startswith("/") and self.base_url is not None:
            mapped = (
                self.base_url + _url_path(path_part) + (f"#{raw_fragment}" if raw_fragment else "")
            )
            return LocalVerdict(
                Verdict.SKIPPED,
                f"root-relative link mapped to {mapped} (checked over HTTP)",
                resolved=mapped,
            )
        try:
            target = self._target(path_part, raw_fragment, source_file)
        except ValueError as exc:
            return LocalVerdict(
                Verdict.INVALID,
                f"not a usable path: {exc}",
                error_kind=ErrorKind.MALFORMED,
                resolved=url,
            )
        return self._judge(target)

    def anchors(self, path: Path) -> list[str]:
        """The anchors of a Markdown file inside the root (cached; read once).

        Raises ``OSError`` when the file cannot be read, ``ValueError`` when it
        lies outside the root after following symlinks.
        """
        real = os.path.realpath(path)
        if not _inside(real, self._root_real):
            raise ValueError(f"{path} is outside the repository root")
        result = self._anchors_of_real(real)
        if isinstance(result, OSError):
            raise result
        return result

    # -- resolution -------------------------------------------------------------

    def _target(self, path_part: str, raw_fragment: str | None, source_file: str | Path) -> _Target:
        source = os.path.abspath(source_file)
        root = self._root
        if not _inside(source, root):
            # The file was named through another spelling of the root (a symlinked
            # checkout, /tmp vs /private/tmp): measure from the real paths instead.
            real_source = os.path.realpath(source)
            if _inside(real_source, self._root_real):
                source, root = real_source, self._root_real
        decoded = unquote(path_part, errors="strict")
        if "\x00" in decoded:
            raise ValueError("the path contains a NUL character")
        if not decoded:
            lexical = source
        elif decoded.startswith("/"):
            lexical = os.path.normpath(os.path.join(root, decoded.lstrip("/")))
        else:
            lexical = os.path.normpath(os.path.join(os.path.dirname(source), decoded))
        fragment = unquote(raw_fragment, errors="replace") if raw_fragment is not None else None
        key = os.path.relpath(lexical, root)
        if os.sep != "/":
            key = key.replace(os.sep, "/")
        return _Target(path_part, fragment, raw_fragment, lexical, key, root)

    def _resolved(self, target: _Target) -> str:
        if target.raw_fragment is None:
            return target.key
        return f"{target.key}#{target.fragment}"

    def _judge(self, target: _Target) -> LocalVerdict:
        resolved = self._resolved(target)
        if not _inside(target.lexical, target.root):
            return LocalVerdict(
                Verdict.UNSAFE,
                f"the link leaves the repository root (it resolves to {target.key})",
                error_kind=ErrorKind.POLICY,
                resolved=resolved,
            )
        real = os.path.realpath(target.lexical)
        if not _inside(real, self._root_real):
            return LocalVerdict(
                Verdict.UNSAFE,
                f"{target.key} resolves through a symlink to a place outside the repository root",
                error_kind=ErrorKind.POLICY,
                resolved=resolved,
            )
        try:
            mode = os.stat(real).st_mode
        except FileNotFoundError:
            return LocalVerdict(
                Verdict.BROKEN,
                f"no such file: {target.key}",
                error_kind=ErrorKind.NOT_FOUND,
                suggestion=self._suggest_file(target),
                resolved=resolved,
            )
        except OSError as exc:
            return LocalVerdict(
                Verdict.BROKEN,
                f"cannot use {target.key}: {exc.strerror or exc}",
                error_kind=ErrorKind.NOT_FOUND,
                resolved=resolved,
            )
        if stat.S_ISDIR(mode):
            return self._judge_directory(target, real, resolved)
        return self._judge_file(target, real, target.key, resolved, via=None)

    def _judge_directory(self, target: _Target, real: str, resolved: str) -> LocalVerdict:
        for name in self.directory_indexes:
            index_real = os.path.realpath(os.path.join(real, name))
            if not _inside(index_real, self._root_real):
                continue  # an index that is a symlink out of the root does not count
            if os.path.isfile(index_real):
                index_key = f"{target.key}/{name}" if target.key != "." else name
                return self._judge_file(target, index_real, index_key, resolved, via=target.key)
        names = " or ".join(self.directory_indexes) or "an index file"
        return LocalVerdict(
            Verdict.BROKEN,
            f"{target.key} is a directory without {names}",
            error_kind=ErrorKind.NOT_FOUND,
            resolved=resolved,
        )

    def _judge_file(
        self, target: _Target, real: str, file_key: str, resolved: str, *, via: str | None
    ) -> LocalVerdict:
        where = f"directory {via}, shown as {file_key}" if via else file_key
        fragment = target.fragment
        if fragment is None or fragment.lower() in _ALWAYS_OK_FRAGMENTS:
            return LocalVerdict(Verdict.OK, f"exists: {where}", resolved=resolved)
        if os.path.splitext(real)[1].lower() not in MARKDOWN_SUFFIXES:
            return LocalVerdict(
                Verdict.OK,
                f"exists: {where}; fragment #{fragment} not checked (not a Markdown file)",
                resolved=resolved,
            )
        found = self._anchors_of_real(real)
        if isinstance(found, OSError):
            return LocalVerdict(
                Verdict.ERROR,
                f"cannot read {file_key} to check #{fragment}: {found.strerror or found}",
                error_kind=ErrorKind.OTHER,
                resolved=resolved,
            )
        if fragment in found:
            return LocalVerdict(Verdict.OK, f"#{fragment} found in {where}", resolved=resolved)
        near_key = (real, fragment)
        if near_key not in self._near_anchor:
            self._near_anchor[near_key] = self._closest_anchor(fragment, found)
        closest = self._near_anchor[near_key]
        detail = f"no heading or anchor #{fragment} in {file_key}"
        if closest is not None and closest.lower() == fragment.lower():
            detail += f" (anchors are case-sensitive; the heading renders as #{closest})"
        return LocalVerdict(
            Verdict.BROKEN,
            detail,
            error_kind=ErrorKind.FRAGMENT,
            suggestion=f"{target.path_part}#{closest}" if closest is not None else None,
            resolved=resolved,
        )

    # -- caches and suggestions ---------------------------------------------------

    def _anchors_of_real(self, real: str) -> list[str] | OSError:
        cached = self._anchor_cache.get(real)
        if cached is None:
            try:
                if not stat.S_ISREG(os.stat(real).st_mode):
                    raise OSError(errno.EINVAL, "not a regular file", real)
                with open(real, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                cached = exc
            else:
                cached = heading_anchors(data.decode("utf-8-sig", errors="replace"))
            self._anchor_cache[real] = cached
        return cached

    @staticmethod
    def _closest_anchor(fragment: str, anchors: list[str]) -> str | None:
        if not anchors:
            return None
        lowered = fragment.lower()
        for anchor in anchors:
            if anchor.lower() == lowered:
                return anchor
        import difflib  # only a broken link needs a suggestion

        matches = difflib.get_close_matches(lowered, anchors, n=1, cutoff=SUGGESTION_CUTOFF)
        return matches[0] if matches else None

    @staticmethod
    def _closest_name(name: str, candidates: list[str]) -> str | None:
        lowered = name.lower()
        for candidate in candidates:
            if candidate.lower() == lowered:
                return candidate
        import difflib

        close = difflib.get_close_matches(name, candidates, n=1, cutoff=FILE_SUGGESTION_CUTOFF)
        return close[0] if close else None

    def _listing(self, directory: str) -> list[str]:
        cached = self._listing_cache.get(directory)
        if cached is None:
            try:
                cached = sorted(os.listdir(directory))
            except OSError:
                cached = []
            self._listing_cache[directory] = cached
        return cached

    def _suggest_file(self, target: _Target) -> str | None:
        """A sibling with a close name (a renamed file), as a link relative to the source."""
        parent, name = os.path.split(target.lexical)
        parent_real = os.path.realpath(parent)
        if not name or not _inside(parent_real, self._root_real):
            return None
        near_key = (parent_real, name)
        if near_key not in self._near_file:
            self._near_file[near_key] = self._closest_name(name, self._listing(parent_real))
        match = self._near_file[near_key]
        if match is None:
            return None
        head, _, _ = target.path_part.rstrip("/").rpartition("/")
        encoded = quote(match, safe=_PATH_SAFE)
        suggestion = f"{head}/{encoded}" if head or target.path_part.startswith("/") else encoded
        if target.raw_fragment is not None:
            suggestion += f"#{target.raw_fragment}"
        return suggestion
