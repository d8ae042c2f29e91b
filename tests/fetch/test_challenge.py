"""Bot-challenge pages: what marks one, and that a page is judged on the same bytes
however its body was read."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkhealth.fetch.classify import (
    _CHALLENGE_MARKER_CORES,
    CHALLENGE_MARKERS,
    CHALLENGE_SNIFF_BYTES,
    CHALLENGE_TITLE,
    is_challenge,
)
from linkhealth.models import ErrorKind, Verdict
from linkhealth.pageregion import metadata_bytes
from support.fetchkit import fast, run
from support.servers import Reply, ServerPool, html_page

# Cloudflare's JavaScript Detections snippet, as it puts it into ordinary pages it serves
# (Bot Fight Mode turns it on for every HTML answer).
JSD = (
    "<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;"
    "if(b){var d=b.createElement('script');d.innerHTML=\"window.__CF$cv$params={r:'8f1',"
    "t:'MTcz'};var a=document.createElement('script');a.nonce='';"
    "a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';"
    "document.getElementsByTagName('head')[0].appendChild(a);\";"
    "b.getElementsByTagName('head')[0].appendChild(d)}}})();</script>"
)

# The parts of a managed challenge page that mark it (besides its title and header).
CHALLENGE_BODY = (
    "<script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'example.org',cType: "
    "'managed',cRay: '8f1'};var cpo = document.createElement('script');"
    "cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8f1';"
    "document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>"
)


def test_an_ordinary_page_with_cloudflares_detection_script_is_no_challenge() -> None:
    page = html_page("Release notes", body="<p>All good.</p>" + JSD)
    assert not is_challenge({}, page)


@pytest.mark.parametrize(
    "script",
    [
        CHALLENGE_BODY,
        "<script>window._cf_chl_opt={cType:'non-interactive'}</script>",
        "<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1?ray=1'></script>",
    ],
)
def test_a_challenge_page_is_known_by_its_own_script(script: str) -> None:
    assert is_challenge({}, html_page("Checking", body=script))


def test_a_page_is_judged_the_same_read_whole_or_as_usual(pool: ServerPool) -> None:
    # A page whose challenge-like script sits far past its head (6 KiB of text first): an
    # ordinary read keeps only the head and 4 KiB after it, a read for --check-fragments
    # keeps it all; the verdict must not depend on which.
    body = "<p>" + "plain words " * 512 + "</p>" + CHALLENGE_BODY
    a = pool.host("127.0.0.2").route("/", Reply(200, body=html_page("Docs", body=body)))
    a.route("/moment", Reply(403, body=html_page("Just a moment...")))
    plain, moment = run([a.url("/"), a.url("/moment")], fast())
    (whole,) = run([a.url("/#install")], fast(check_fragments=True))
    assert plain.verdict is Verdict.OK
    assert whole.verdict is Verdict.OK
    assert moment.verdict is Verdict.BLOCKED and moment.error_kind is ErrorKind.BOT_CHALLENGE


def test_every_challenge_marker_holds_a_core() -> None:
    for marker in CHALLENGE_MARKERS:
        assert any(core in marker for core in _CHALLENGE_MARKER_CORES), marker


def _challenge_by_rule(headers: dict[str, str], body: bytes) -> bool:
    """is_challenge's rule, every marker searched."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    head = metadata_bytes(body[:CHALLENGE_SNIFF_BYTES]).lower()
    if any(marker in head for marker in CHALLENGE_MARKERS):
        return True
    return any(
        CHALLENGE_TITLE.match(head, at + 7)
        for at in range(len(head))
        if head.startswith(b"<title>", at)
    )


_PIECES = st.sampled_from(
    [
        b"<title>", b"<TITLE>", b"Just a moment...", b"DDoS-Guard",
        b"attention required | cloudflare",
        b"_cf_chl_opt", b"_CF_chl_OPT", b"_cf_chl", b"challenge-platform/h/b/orchestrate/",
        b"Challenge-Platform/H/G/Orchestrate/", b"challenge-platform/h/x/orchestrate/",
        b"/orchestrate/", b"challenge-platform/scripts/jsd/main.js", b"</head>", b"x" * 4000,
        b"<p>", b"\xe2\x80\xa6", b" ",
    ]
)  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(_PIECES, max_size=12).map(b"".join), st.booleans())
@example(b"<script>challenge-platform/h/g/orchestrate/</script>", False)
@example(b"<script>_cf_chl_opt</script>", False)
@example(b"<script>challenge-platform/h/x/orchestrate/</script>", False)
def test_is_challenge_decides_as_every_marker_searched(body: bytes, mitigated: bool) -> None:
    headers = {"cf-mitigated": "challenge"} if mitigated else {}
    assert is_challenge(headers, body) == _challenge_by_rule(headers, body)
