"""The input stage, above parsing: finding the lists, ignore files, git changes.

- :func:`discover` — the Markdown files named by paths, directories and globs;
- :func:`extract_paths` — discover, read and parse them into a
  :class:`~linkhealth.parse.ParseResult`, with ``.linkhealthignore`` and
  ``--changed-since`` applied;
- :class:`UrlIgnore`, :func:`load_url_ignore` — ``.linkhealthignore``;
- :mod:`linkhealth.inputs.gitchanges` — changed lines since a git revision
  (imported lazily: it is only needed with ``--changed-since``).
"""

from __future__ import annotations

from linkhealth.inputs.collect import extract_paths
from linkhealth.inputs.discover import discover
from linkhealth.inputs.ignore import IGNORE_FILE_NAME, UrlIgnore, load_url_ignore

__all__ = ["IGNORE_FILE_NAME", "UrlIgnore", "discover", "extract_paths", "load_url_ignore"]
