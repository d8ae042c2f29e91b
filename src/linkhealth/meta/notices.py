"""Text that is not about the page: browser notices, consent banners, bot challenges,
placeholders. One decision, :func:`not_about_page`, used for every title and
description candidate; a rejected value falls through to the next source.

Phrases are matched on lower-cased text with runs of whitespace collapsed and curly
apostrophes straightened; each is a notice sites show instead of their content,
written as those notices read (never a whole sentence copied from one site).
"""

from __future__ import annotations

import re

from linkhealth.lazyre import lazy_compile
from linkhealth.textsafe import single_spaced

# A notice anywhere in the text rejects it: these never describe a page's subject.
_NOTICE = lazy_compile(
    r"|".join(
        [
            # JavaScript required / disabled
            r"\bjavascript (?:is|has been|seems to be|appears to be)"
            r" (?:disabled|turned off|not enabled|required)",
            r"\b(?:please )?(?:enable|turn on|activate) javascript\b",
            r"\byou need to enable javascript\b",
            r"\brequires? javascript\b",
            r"\bjavascript (?:must|needs to) be enabled\b",
            r"\byour browser (?:does not|doesn't) support javascript\b",
            r"\bswitch to a supported browser\b",
            r"\bupgrade your browser\b.*\bcontinue\b",
            # cookies and consent
            r"\b(?:we|this (?:web)?site|our (?:web)?site) uses? cookies\b",
            r"\bcookie (?:consent|settings|preferences|policy) (?:required|needed)\b",
            r"\baccept (?:all )?cookies\b",
            r"\bbefore you continue to\b",
            r"\bwe value your privacy\b",
            r"\bmanage (?:your )?consent\b",
            # bot challenges and blocks
            r"^just a moment\b",
            r"\bchecking (?:if the site connection is secure|your browser)\b",
            r"\bverify(?:ing)? (?:that )?you are (?:a )?human\b",
            r"\bare you a robot\b",
            r"^attention required\b",
            r"^robot check\b",
            r"^security check(?:point)?\b",
            r"\bddos protection by\b",
            r"\bplease wait while we (?:verify|check)\b",
            r"^one more step\b",
            r"\benable cookies (?:and|to) (?:reload|continue)\b",
            r"^access (?:to this page has been )?denied\b",
        ]
    )
)

# The whole text is a placeholder: nothing a person would write about a link.
_PLACEHOLDER = re.compile(
    r"^(?:untitled(?: document| page)?|no title|\(no title\)|title|undefined|null|none|nan"
    r"|loading|please wait|redirecting|home ?page|index|default|document|new tab"
    r"|description|page description|todo|tbd|lorem ipsum[\w\s,.]{0,160})$"
)
_MEANINGFUL = re.compile(r"\w")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})


# Every notice above contains one of these: a substring test skips the regex for the
# texts (nearly all) that contain none.
_NOTICE_WORDS = (
    "javascript",
    "browser",
    "cookie",
    "before you continue",
    "privacy",
    "consent",
    "moment",
    "human",
    "robot",
    "attention",
    "security",
    "ddos",
    "please wait",
    "checking",
    "one more step",
    "access",
)
_PLACEHOLDER_MAX = 200  # longer texts are never a placeholder
# _PLACEHOLDER matches a whole text: each alternative but "lorem ipsum…" is at most this
# long (a test measures them), so a longer text is looked at only when it starts so.
_PLACEHOLDER_WORD_MAX = 17
_LOREM = "lorem ipsum"


def not_about_page(text: str | None) -> bool:
    """Whether ``text`` (a sanitised title or description) says nothing about the page."""
    if text is None:
        return True
    lowered = text.casefold()
    if len(lowered) <= _PLACEHOLDER_MAX:
        bare = single_spaced(lowered).strip(" .…!?-–—|:·•*_#")
        if not _MEANINGFUL.search(bare) or (
            (len(bare) <= _PLACEHOLDER_WORD_MAX or bare.startswith(_LOREM))
            and _PLACEHOLDER.match(bare)
        ):
            return True
    # The words are ASCII: they are looked for in the text's ASCII characters, which holds
    # each word the text holds (a search of a wider text first widens each word it looks for).
    probe = lowered if lowered.isascii() else lowered.encode("ascii", "ignore").decode("ascii")
    for word in _NOTICE_WORDS:  # a plain loop of `in`: a third of an alternation's time
        if word in probe:
            break
    else:
        return False
    lowered = " ".join(lowered.translate(_APOSTROPHES).split())
    return bool(_NOTICE.search(lowered))


__all__ = ["not_about_page"]
