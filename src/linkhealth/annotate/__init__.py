"""``linkhealth annotate``: rewrite Markdown lists from check results, touching nothing else.

Modules: :mod:`.rewrite` (the edits on one text, and what changes — read its
docstring), :mod:`.markers` (failure markers after a link), :mod:`.links` (where
a link is written on its line), :mod:`.lines` (line ends, front matter, list
items), :mod:`linkhealth.textsafe` (untrusted text and URLs into Markdown), :mod:`.files`
(read, diff, write back), :mod:`.options`, :mod:`.paths` (:func:`annotate_paths`:
check the lists, then annotate them in memory).
"""

from __future__ import annotations

from linkhealth.annotate.dead import FIX_DEAD_MODES, FixDead, with_kept_originals
from linkhealth.annotate.files import (
    AnnotateChange,
    FileChangedError,
    annotate_file,
    unified_diff,
    write_change,
)
from linkhealth.annotate.lines import front_matter_lines, split_lines
from linkhealth.annotate.options import (
    DEFAULT_DESCRIPTION_LIMIT,
    DEFAULT_TITLE_LIMIT,
    DESCRIPTION_MODES,
    SEPARATOR,
    AnnotateOptions,
    DescriptionMode,
)
from linkhealth.annotate.paths import AnnotateOutcome, annotate_paths
from linkhealth.annotate.rewrite import annotate_text, rewrite
from linkhealth.textsafe import (
    html_attribute_url,
    is_web_url,
    md_autolink,
    md_destination,
    md_inline,
)

__all__ = [
    "DEFAULT_DESCRIPTION_LIMIT",
    "DEFAULT_TITLE_LIMIT",
    "DESCRIPTION_MODES",
    "FIX_DEAD_MODES",
    "SEPARATOR",
    "AnnotateChange",
    "AnnotateOptions",
    "AnnotateOutcome",
    "DescriptionMode",
    "FileChangedError",
    "FixDead",
    "annotate_file",
    "annotate_paths",
    "annotate_text",
    "front_matter_lines",
    "html_attribute_url",
    "is_web_url",
    "md_autolink",
    "md_destination",
    "md_inline",
    "rewrite",
    "split_lines",
    "unified_diff",
    "with_kept_originals",
    "write_change",
]
