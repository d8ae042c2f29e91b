"""Hostile and odd files through the real CLI: line endings and BOMs under ``annotate
--write`` against a loopback server, invalid UTF-8, NUL bytes, huge files and huge link
counts (refused above ``max-file-bytes`` with a message; bounded memory below it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faults.faultkit import child_env, run_cli
from linkhealth.config import DEFAULT_MAX_FILE_BYTES
from support.servers import Reply, ServerPool, html_page

MIB = 1024 * 1024


def _split(data: bytes) -> list[tuple[bytes, bytes]]:
    """(content, line end) pairs; the last line may have no end."""
    out = []
    for line in data.splitlines(keepends=True):
        body = line.rstrip(b"\r\n")
        out.append((body, line[len(body) :]))
    return out


@pytest.mark.parametrize(
    ("name", "bom", "ends", "final"),
    [
        ("crlf", b"", [b"\r\n"], True),
        ("bom-lf", b"\xef\xbb\xbf", [b"\n"], True),
        ("no-final-newline", b"", [b"\n"], False),
        ("mixed", b"\xef\xbb\xbf", [b"\r\n", b"\n", b"\r"], False),
    ],
)
def test_annotate_write_changes_only_the_bare_urls(
    tmp_path: Path, name: str, bom: bytes, ends: list[bytes], final: bool
) -> None:
    with ServerPool(lifetime=60) as pool:
        host = pool.host("127.0.0.1")
        lines: list[bytes] = [
            b"# Reading",
            b"",
            b"Some prose with [a link](" + host.url("/kept").encode() + b").",
        ]
        for n in range(4):
            host.route(f"/p{n}", Reply(200, body=html_page(f"Title {n}", head_extra=(
                f'<meta name="description" content="About page {n}.">'
            ))))  # fmt: skip
            lines += [f"- {host.url(f'/p{n}')}".encode(), b"", b"Prose  with  trailing  spaces  "]
        host.route("/kept", Reply(200, body=html_page("Kept")))
        lines.append(b"| a | b |")
        data = bom + b"".join(
            line + (ends[i % len(ends)] if final or i < len(lines) - 1 else b"")
            for i, line in enumerate(lines)
        )
        target = tmp_path / f"{name}.md"
        target.write_bytes(data)
        ran = run_cli(
            "annotate", target.name, "--write", "--allow-private", "--store", "s.sqlite",
            cwd=tmp_path,
        )  # fmt: skip
    assert ran.code == 0, ran.stderr
    new = target.read_bytes()
    assert new.startswith(bom) and (not bom or not new[len(bom) :].startswith(bom))
    old_lines, new_lines = _split(data[len(bom) :]), _split(new[len(bom) :])
    assert len(new_lines) == len(old_lines)
    changed = 0
    for (old, end), (line, new_end) in zip(old_lines, new_lines, strict=True):
        assert new_end == end  # every line keeps its own ending (and the last has none)
        match = re.fullmatch(rb"- (http://\S+/p(\d))", old)
        if match is None:
            assert line == old
            continue
        url, n = match.group(1), match.group(2)
        expected = b"- [Title " + n + b"](" + url + b") \xe2\x80\x94 About page " + n + b"."
        assert line == expected
        changed += 1
    assert changed == 4


def test_invalid_utf8_is_exit_2_naming_file_and_offset(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    data = b"# ok\n[a](https://x.example/)\n\xff\xfe bad\n"
    bad.write_bytes(data)
    for command in ("extract", "lint", "check", "annotate"):
        ran = (
            run_cli(command, "bad.md", "--store", "s.sqlite", cwd=tmp_path)
            if command
            in (
                "check",
                "annotate",
            )
            else run_cli(command, "bad.md", cwd=tmp_path)
        )
        assert ran.code == 2, (command, ran.stderr)
        assert "bad.md" in ran.stderr and "byte offset 29" in ran.stderr, (command, ran.stderr)
        assert bad.read_bytes() == data


def test_nul_byte_is_read_as_replacement_character(tmp_path: Path) -> None:
    (tmp_path / "nul.md").write_bytes(
        b"# t\n- [a](https://x.example/\x00y) and \x00\n- <https://y.example/>\n"
    )
    ran = run_cli("extract", "nul.md", "--format", "json", cwd=tmp_path)
    assert ran.code == 0, ran.stderr
    assert "https://y.example/" in ran.stdout and "\x00" not in ran.stdout
    lint = run_cli("lint", "nul.md", cwd=tmp_path)
    assert lint.code in (0, 1) and "\x00" not in lint.stdout


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("fifty-megabytes", lambda: (b"Lorem ipsum dolor sit amet. " * 36 + b"\n\n") * 52_000),
        ("ten-megabyte-line", lambda: b"word https://a.example/x " * 420_000 + b"\n"),
        (
            "200k-links",
            lambda: b"".join(
                b"- [link %d](https://host%d.example/page/%d) words\n" % (i, i % 500, i)
                for i in range(200_000)
            ),
        ),
    ],
)
def test_files_over_the_limit_are_refused_quickly(tmp_path: Path, name: str, make: object) -> None:
    data = make()  # type: ignore[operator]
    assert len(data) > DEFAULT_MAX_FILE_BYTES
    (tmp_path / f"{name}.md").write_bytes(data)
    for command in ("extract", "lint"):
        ran = run_cli(command, f"{name}.md", cwd=tmp_path)
        assert ran.code == 2, ran.stderr
        assert f"{name}.md" in ran.stderr and "max-file-bytes" in ran.stderr
        assert f"{len(data):,} bytes" in ran.stderr
        assert ran.max_rss_kib < 200 * 1024  # never read: the size is checked first


def test_ten_megabyte_line_under_the_limit_is_parsed_in_bounded_memory(tmp_path: Path) -> None:
    chunk = b"lorem ipsum dolor sit amet " * 36  # ~1 KB of prose per link
    parts = [chunk + b"https://line.example/%d " % i for i in range(9_500)]
    data = b"".join(parts) + b"\n"
    assert 9 * MIB < len(data) < DEFAULT_MAX_FILE_BYTES and data.count(b"\n") == 1
    (tmp_path / "line.md").write_bytes(data)
    ran = run_cli("extract", "line.md", "--format", "text", cwd=tmp_path)
    assert ran.code == 0, ran.stderr
    assert len(ran.stdout.splitlines()) == 9_500
    assert ran.max_rss_kib < 600 * 1024, ran.max_rss_kib


def test_same_url_a_thousand_times_is_one_request(tmp_path: Path) -> None:
    with ServerPool(lifetime=60) as pool:
        host = pool.host("127.0.0.1")
        host.route("/same", Reply(200, body=html_page("Same")))
        url = host.url("/same")
        (tmp_path / "same.md").write_text("".join(f"- [x{i}]({url})\n" for i in range(1000)))
        ran = run_cli(
            "check", "same.md", "--allow-private", "--store", "s.sqlite", "--format", "json",
            cwd=tmp_path,
        )  # fmt: skip
        assert host.hits("/same") == 1
    assert ran.code == 0, ran.stderr
    assert '"occurrences": 1000' in ran.stdout.replace("\n", "").replace("  ", "") or (
        ran.stdout.count('"file"') == 1000
    )
    lint = run_cli("lint", "same.md", "--format", "json", cwd=tmp_path)
    assert lint.code in (0, 1) and "duplicate" in lint.stdout
    assert ran.max_rss_kib < 400 * 1024


@pytest.mark.slow
def test_200k_links_with_the_limit_raised_all_extracted_in_bounded_memory(
    tmp_path: Path,
) -> None:
    data = b"".join(
        b"- [link %d](https://host%d.example/page/%d) words\n" % (i, i % 500, i)
        for i in range(200_000)
    )
    (tmp_path / "many.md").write_bytes(data)
    env = child_env(LINKHEALTH_MAX_FILE_BYTES=str(32 * MIB))
    ran = run_cli("extract", "many.md", "--format", "text", cwd=tmp_path, env=env, timeout=180)
    assert ran.code == 0, ran.stderr
    assert len(ran.stdout.splitlines()) == 200_000
    # ~5 KB of markdown-it tokens per link: generous, but bounded (see bench/RESULTS.md).
    assert ran.max_rss_kib < 2 * 1024 * MIB // 1024, ran.max_rss_kib
