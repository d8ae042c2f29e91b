"""What ``annotate`` may change, and the limits it writes within."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from linkhealth.annotate.dead import FixDead
from linkhealth.config import CommentMode

DEFAULT_TITLE_LIMIT = 150
DEFAULT_DESCRIPTION_LIMIT = 240
SEPARATOR = " — "
BOM = "\ufeff"
BOM_BYTES = BOM.encode("utf-8")

DescriptionMode = Literal["missing", "always"]
DESCRIPTION_MODES: tuple[DescriptionMode, ...] = ("missing", "always")


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
    # A failing link with an archived copy (``check --archive``): "mark" puts the copy
    # in its marker, "archive" points the link at the copy (see annotate/dead.py).
    fix_dead: FixDead = "mark"
