"""The HTML page in headless Chromium (Debian's ``chromium``): a screenshot and the DOM.

.ci/run installs chromium when it is missing; without it this test fails (never skips).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from linkhealth.models import RunReport
from linkhealth.report import write_reports

pytestmark = pytest.mark.slow

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium is not installed (apt-get install -y chromium)"
    return path


def run_chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the (still filtered) scanline bytes of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def screenshot(tmp: Path, page: Path) -> bytes:
    png = tmp / f"{page.stem}.png"
    proc = run_chromium(tmp, f"--screenshot={png}", "--window-size=1200,900", page.as_uri())
    assert png.exists(), f"no screenshot; chromium said: {proc.stderr[-2000:]}"
    return png.read_bytes()


def test_html_report_screenshot_and_dom(report: RunReport, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    write_reports(report, out, ["html"])
    page = out / "index.html"

    shot = screenshot(tmp_path, page)
    width, height, pixels = png_pixels(shot)
    assert (width, height) == (1200, 900)
    # A blank page compresses to a handful of byte values; the report has text and colour.
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    _, _, blank_pixels = png_pixels(screenshot(tmp_path, blank))
    assert len(set(blank_pixels)) < 8
    assert len(set(pixels)) > 64

    dom = run_chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    assert '<section id="summary"' in dom
    assert "7</b>URLs" in dom and "3</b>failing" in dom
    assert '<figure id="verdict-chart">' in dom and "<svg" in dom
    assert "<polyline" in dom  # the failing count over past runs
    assert dom.count('<tr class="failing">') == 4
    assert 'data-sortable="ready"' in dom  # the inline script ran under the page's CSP


def test_html_table_sorts_in_the_browser(report: RunReport, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    write_reports(report, out, ["html"])
    page = (out / "index.html").as_uri()

    def line_column(dom: str) -> list[int]:
        table = dom.split('id="links"')[1].split("</table>")[0]
        return [int(n) for n in re.findall(r'<td data-sort="(\d+)">', table)]

    unsorted = line_column(run_chromium(tmp_path, "--dump-dom", page).stdout)
    assert len(unsorted) == 8 and unsorted != sorted(unsorted)  # failing links first
    dom = run_chromium(tmp_path, "--dump-dom", page + "#sort=1").stdout  # by line
    assert 'aria-sort="ascending"' in dom
    assert line_column(dom) == sorted(unsorted)


def test_html_times_shown_in_local_time(
    report: RunReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9, no daylight saving
    out = tmp_path / "reports"
    write_reports(report, out, ["html"])
    dom = run_chromium(tmp_path, "--dump-dom", (out / "index.html").as_uri()).stdout
    # started 2025-03-01T02:00:00Z is 11:00:00 in Tokyo, to the second
    assert re.search(r'<time datetime="2025-03-01T02:00:00Z"[^>]*>2025-03-01 11:00:00</time>', dom)
