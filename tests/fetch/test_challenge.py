"""Bot-challenge pages: what marks one, and that a page is judged on the same bytes
however its body was read."""

from __future__ import annotations

import pytest

from linkhealth.fetch.classify import is_challenge
from linkhealth.models import ErrorKind, Verdict
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
