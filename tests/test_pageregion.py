"""One rule for where a page's head ends, over bytes and over decoded text."""

from __future__ import annotations

import pytest

from linkhealth.pageregion import HEAD_END, HEAD_END_TEXT


@pytest.mark.parametrize(
    ("tag", "ends"),
    [("</head>", True), ("</HEAD \t\r\n>", True), ("</head\u00a0>", False), ("</header>", False)],
)
def test_bytes_and_text_agree_on_a_head_end(tag: str, ends: bool) -> None:
    # HTML's whitespace inside a tag is ASCII only: a no-break space ends no tag name.
    assert (HEAD_END_TEXT.search(tag) is not None) is ends
    assert (HEAD_END.search(tag.encode("utf-8")) is not None) is ends
