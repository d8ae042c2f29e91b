"""A file parsed in two processes (parse/split.py) gives exactly what one process gives.

The chunk size is made small (the worker is told it) so that documents of a few
kilobytes have headings to cut at; every test checks that the split really happened
(or, for a failing worker, that it did not), then compares occurrences and findings,
order included, with one process's.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from linkhealth import procs
from linkhealth.cli import cli
from linkhealth.config import CommentMode
from linkhealth.parse import extract_text, markdown, split
from linkhealth.parse.extract import ParseResult
from linkhealth.parse.source import line_starts
from linkhealth.parse.split import Worker
from linkhealth.report import extractfmt


def _key(result: ParseResult) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    return (
        [o.as_json() for o in result.occurrences],
        [f.as_json() for f in result.findings],
    )


@pytest.fixture
def merges(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Small chunks; counts the worker results merged (one per split parse)."""
    monkeypatch.setattr(markdown, "CHUNK_CHARS", 300)
    monkeypatch.setattr(procs, "free_core", lambda: True)  # the same on a busy machine
    merged: list[int] = []
    real = split._merge

    def counting(*args: Any) -> None:
        merged.append(1)
        real(*args)

    monkeypatch.setattr(split, "_merge", counting)
    return merged


def _pieces(rng: random.Random) -> list[Callable[[int], str]]:
    pool = rng.randint(3, 9)  # few labels and URLs: uses, definitions, duplicates cross the cut
    return [
        lambda n: f"See [a link](https://a.test/{n % pool}) and [ref {n}][r{n % pool}].",
        lambda n: f"[r{n % pool}]: https://d.test/{n}",
        lambda n: f"[r{n % pool}]: https//broken.test/{n % pool}",  # a broken definition
        lambda n: f"[R{n % pool}]: <https://upper.test/{n}> 'title'",
        lambda n: f"[r{n % pool}] and [collapsed r{n % pool}][] and ![img](https://i.test/{n}.png)",
        lambda n: f"Items {n}:\n\n- [x](https://l.test/{n})\n- <https://auto.test/{n % pool}>",
        lambda n: f'<div>\n<a href="https://h.test/{n % pool}">x</a>\n\n</div>',
        lambda n: f"```\n[not](https://code.test/{n})\n# not a heading\n```",
        lambda n: f"bare https://bare.test/{n % pool} and www.w{n % pool}.test here",
        lambda n: "<!-- linkhealth-ignore-start -->",
        lambda n: "<!-- linkhealth-ignore-end -->",
        lambda n: f"<!-- [in a comment](https://c.test/{n}) -->",
        lambda n: f"[bad](htps://typo.test/{n % pool}) and [js](javascript:alert({n}))",
        lambda n: f"> quoted [q{n}][r{n % pool}]\n> [r{n % pool}]: https://quote.test/{n}",
        lambda n: f"Setext {n}\n------",
        lambda n: f"[same, spelt otherwise](HTTPS://A.Test:443/{n % pool}#x)",
        lambda n: f"| a | b |\n|---|---|\n| [t](https://t.test/{n}) | x |",
    ]


def _document(seed: int) -> str:
    rng = random.Random(seed)
    pieces = _pieces(rng)
    out = []
    n = 0
    for s in range(rng.randint(6, 12)):
        out.append("#" * rng.randint(1, 3) + f" Section {s}")
        for _ in range(rng.randint(2, 9)):
            n += 1
            out.append(rng.choice(pieces)(n))
    return "\n\n".join(out) + "\n"


def _split(
    text: str, mode: CommentMode = CommentMode.AUTO, render: str | None = None
) -> ParseResult:
    worker = Worker.start()
    assert worker is not None
    return extract_text(text, "f.md", comments=mode, worker=worker, render=render)


def _output(result: ParseResult, fmt: str) -> str:
    return "".join(extractfmt.RENDERERS[fmt](result.occurrences, result.rendered))


def _same_output(text: str, fmt: str, mode: CommentMode = CommentMode.AUTO) -> ParseResult:
    """The split's rendered output (``fmt``) is one process's, byte for byte; its findings
    are one process's but the duplicate-url ones (the extract command prints none)."""
    one = extract_text(text, "f.md", comments=mode)
    two = _split(text, mode, render=fmt)
    assert _output(two, fmt) == _output(one, fmt)
    assert _output(two, fmt) == _output(extract_text(text, "f.md", comments=mode, render=fmt), fmt)
    findings = [f.as_json() for f in one.findings if f.rule != "duplicate-url"]
    assert [f.as_json() for f in two.findings] == findings
    # rendered by the worker unless lines are ignored (then it sends its occurrences)
    assert bool(two.rendered) is ("linkhealth-ignore" not in text)
    return two


@pytest.mark.parametrize("seed", range(24))
def test_two_processes_find_what_one_finds(seed: int, merges: list[int]) -> None:
    text = _document(seed)
    mode = list(CommentMode)[seed % 3]
    one = extract_text(text, "f.md", comments=mode)
    two = _split(text, mode)
    assert merges == [1], "not split"
    assert _key(two) == _key(one)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("fmt", ["json", "csv", "text"])
def test_the_worker_renders_what_one_process_renders(
    seed: int, fmt: str, merges: list[int]
) -> None:
    text = _document(seed)
    if seed % 4:  # (a file with ignored lines: the worker sends its occurrences instead)
        text = text.replace("linkhealth-ignore-", "no-ignore-")
    _same_output(text, fmt, list(CommentMode)[seed % 3])
    assert merges == [1], "not split"


@pytest.mark.parametrize("fmt", ["json", "csv", "text"])
def test_rendered_unused_definitions_in_their_places(fmt: str, merges: list[int]) -> None:
    """The worker's unused definitions, each at its place among its occurrences: one
    the parent uses (not reported), one defined before the cut too (not a definition),
    broken ones (a finding, no occurrence), one on the line of a link, one used by a
    later chunk only, and the last line of the file."""
    filler, short = "filler line\n\n" * 12, "filler line\n\n" * 3
    text = (
        f"# One\n\n[p][after] [q][late] [x](https://x.test/0)\n\n[twice]: https://t1.test\n\n"
        f"{filler}{filler}# Two\n\n[a](https://a.test/1)\n\n[u1]: https://u1.test\n\n"
        "[c](https://c.test/after-u1)\n\n"
        f"[after]: https://after.test\n[twice]: https://t2.test\n[b]: htps://broken.test\n\n"
        f"{short}## Three\n\n[late][] and [d](https://d.test/1)\n\n"
        f"[late]: https://late.test\n[used-later]: https://ul.test\n\n"
        f"{short}## Four\n\n[y][used-later] [z](https://z.test)\n\n[u2]: <https://u2.test> 'T'\n"
        f"{filler}"
    )
    two = _same_output(text, fmt)
    assert merges == [1] and not two.occurrences  # each half rendered by its process
    texts = [t for _, x in two.rendered for t in ([x] if isinstance(x, str) else x) if t]
    first_urls = [t[: t.index("://") + 12] for t in texts]
    assert any("a.test/1" in u for u in first_urls), "not cut at # Two"
    out = _output(two, fmt)
    assert out.index("a.test/1") < out.index("u1.test") < out.index("after-u1")
    assert "u2.test" in out and "after.test" in out
    assert "t2.test" not in out and "broken.test" not in out


def test_the_workers_texts_are_read_from_its_file_until_forgotten(merges: list[int]) -> None:
    """The worker's rendered texts stay in its file (the parent never holds them all),
    are read each time they are written out, and the file is closed when they are
    forgotten (no descriptor left open)."""
    text = _document(1).replace("linkhealth-ignore-", "no-ignore-")
    fds = len(os.listdir("/proc/self/fd"))
    two = _same_output(text, "text")  # written out twice there
    assert merges == [1] and not all(isinstance(x, str) for _, x in two.rendered)
    assert len(os.listdir("/proc/self/fd")) == fds + 1  # the worker's file
    assert _output(two, "text") == _output(extract_text(text, "f.md"), "text")
    del two
    assert len(os.listdir("/proc/self/fd")) == fds


def test_definitions_across_the_cut(merges: list[int]) -> None:
    """Uses before and after the cut of definitions on both sides, a label defined on
    both sides (the first wins), broken ones used on both sides (reported once), unused
    ones on both sides."""
    first = (
        "# One\n\n[early][b] [late][a] [x][twice]\n\n"
        "[twice]: https://first.test\n[b]: https//broken-b.test\n"
        "[unused1]: https://u1.test\n\n" + "filler line\n\n" * 24
    )
    second = (
        "# Two\n\n[again][b] [x][twice] [mine][c]\n\n"
        "[twice]: https://second.test\n[a]: https://a.test\n[c]: htps://broken-c.test\n"
        "[unused2]: https://u2.test\n[unused1]: https://not-first.test\n\n" + "filler line\n\n" * 24
    )
    text = first + second
    one = extract_text(text, "f.md")
    two = _split(text)
    assert merges == [1]
    assert _key(two) == _key(one)
    urls = [o.url for o in one.occurrences]
    assert urls.count("https://first.test") == 2 and "https://second.test" not in urls
    assert [f.rule for f in one.findings].count("scheme-typo") == 2  # b once, c once


def test_uses_after_the_cut_of_definitions_before_it_only(merges: list[int]) -> None:
    """The worker's half has no definition (no "]:"), only uses of the first half's: it
    still reads its labels and waits for those definitions (a half alone would not)."""
    first = "# One\n\n[r]: https://r.test/\n[s]: htps://broken.test\n\n" + "filler line\n\n" * 130
    second = "# Two\n\n" + "".join(
        f"- [u{i}][r] [v{i}][s] [t](https://t.test/{i})\n" for i in range(30)
    )
    text = first + second
    one = extract_text(text, "f.md")
    two = _split(text)
    assert merges == [1]
    assert _key(two) == _key(one)
    assert [o.url for o in one.occurrences].count("https://r.test/") == 30
    assert [f.rule for f in one.findings].count("scheme-typo") == 1


@pytest.mark.parametrize("neutralised_before", [False, True])
def test_text_that_a_neutralised_scheme_would_change(
    neutralised_before: bool, merges: list[int]
) -> None:
    """Once a chunk had a refused scheme neutralised, one process restores every later
    link text that looks neutralised: a worker whose half has such a text is not used
    when the parent's half set the flag."""
    js = "[js](javascript:alert(1))" if neutralised_before else "[plain](https://p.test)"
    filler = "filler line\n\n" * 24
    text = f"# One\n\n{js}\n\n{filler}# Two\n\n[qavascript:x](https://q.test)\n\n{filler}"
    one = extract_text(text, "f.md")
    assert _key(_split(text)) == _key(one)
    assert merges == ([] if neutralised_before else [1])


def test_a_failing_worker_leaves_one_process(merges: list[int]) -> None:
    text = _document(3)
    one = extract_text(text, "f.md")
    for code in ("raise SystemExit(3)", "pass", "import os; os.abort()"):
        worker = Worker.start([sys.executable, "-c", code])
        assert worker is not None
        assert _key(extract_text(text, "f.md", worker=worker)) == _key(one)
        assert worker.proc.returncode is not None  # ended, not left behind
    assert merges == []


@pytest.mark.parametrize(
    ("usable", "loadavg", "free"),
    [
        (2, "0.35 1.15 2.44 1/180 12345", True),  # only this process runnable
        (2, "1.90 1.15 2.44 2/180 12345", False),  # another one: it would share a core
        (4, "3.00 3.00 3.00 3/180 12345", True),
        (1, "0.00 0.00 0.00 1/180 12345", False),
    ],
)
def test_a_worker_only_with_an_idle_core(
    usable: int, loadavg: str, free: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a busy machine the worker would only share a core with the parent."""
    (tmp_path / "loadavg").write_text(loadavg + "\n")
    monkeypatch.setattr(procs, "LOADAVG", tmp_path / "loadavg")
    monkeypatch.setattr(split.os, "sched_getaffinity", lambda _: set(range(usable)))
    assert procs.free_core() is free
    worker = Worker.start()
    assert (worker is not None) is free
    if worker is not None:
        worker.cancel()


def test_write_all_writes_what_os_write_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    """procs.write_all (the worker's records, the outage JSON child's text) writes the
    rest of what one ``os.write`` took only part of."""
    got: list[bytes] = []

    def some(fd: int, data: memoryview) -> int:
        got.append(bytes(data[:3]))
        return min(3, len(data))

    monkeypatch.setattr(procs.os, "write", some)
    assert procs.write_all(7, b"abcdefgh") == 8
    assert b"".join(got) == b"abcdefgh"


@pytest.mark.timeout(30)
def test_a_stalled_worker_never_holds_the_parent(
    merges: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that reads nothing: the parent's messages (here ~90 KB of definitions
    before the cut that the second half uses) never wait for it, the parent waits for its
    result only so long, then parses in one process."""
    monkeypatch.setattr(split, "WORKER_GRACE", 1.0)
    sent: list[int] = []
    real = Worker.seed

    def seed(self: Worker, seeds: list[split.Seed]) -> bool:
        sent.append(len(seeds))
        return real(self, seeds)

    monkeypatch.setattr(Worker, "seed", seed)
    defs = "".join(f"[label-{i:05}]: https://d.test/{i}\n\n" for i in range(1500))
    uses = "\n\n".join(f"[u][label-{i:05}]" for i in range(1500))
    text = f"# A\n\n{defs}\n# B\n\n{uses}\n\n# C\n\n" + "filler line\n\n" * 3000
    worker = Worker.start([sys.executable, "-c", "import time; time.sleep(60)"])
    assert worker is not None
    started = time.monotonic()
    got = extract_text(text, "f.md", worker=worker)
    assert time.monotonic() - started < 20
    assert sent == [1500]  # cut at "# B": all of them sent
    assert _key(got) == _key(extract_text(text, "f.md"))
    assert len(got.occurrences) == 1500 and merges == []


def test_no_worker_without_a_process() -> None:
    assert Worker.start(["/nonexistent/python", "-c", "pass"]) is None


def test_a_worker_refusing_its_half_means_the_fallback(merges: list[int]) -> None:
    """Where one process would hand the file to markdown-it-py, so does the split."""
    code = (
        "import marshal, os, sys\n"
        "sys.stdin.buffer.readline()\n"  # the header is there: the half is the worker's
        f"b = marshal.dumps({{'version': {split._VERSION}, 'status': 'unsafe'}})\n"
        "os.write(int(sys.argv[2]), len(b).to_bytes(8, 'little') + b)\n"  # (split._write)
    )
    text = _document(5)
    worker = Worker.start([sys.executable, "-c", code])
    assert worker is not None
    got = extract_text(text, "f.md", worker=worker)
    assert _key(got) == _key(extract_text(text, "f.md", engine="python"))
    assert merges == []


def test_a_text_the_rust_parser_refuses_falls_back_as_in_one_process(merges: list[int]) -> None:
    text = _document(7)
    text = text[: len(text) * 3 // 4] + "\ud800 [x](https://s.test)\n" + text[len(text) * 3 // 4 :]
    assert _key(_split(text)) == _key(extract_text(text, "f.md"))
    assert merges == []


def test_no_heading_to_cut_at_means_one_process(merges: list[int]) -> None:
    text = "".join(f"- [x{i}](https://n.test/{i})\n" for i in range(200))
    worker = Worker.start()
    assert worker is not None
    assert _key(extract_text(text, "f.md", worker=worker)) == _key(extract_text(text, "f.md"))
    assert merges == []


@pytest.mark.parametrize("command", ["extract", "lint"])
def test_the_commands_split_a_large_file(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, merges: list[int]
) -> None:
    """``extract`` and ``lint`` (and ``check``, which reads its lists the same way) start a
    worker for a file of SPLIT_MIN_BYTES or more: the same output, the same exit code."""
    monkeypatch.chdir(tmp_path)
    text = "".join(_document(seed) for seed in range(4))
    if command == "extract":  # rendered by each process (not with ignored lines)
        text = text.replace("linkhealth-ignore-", "no-ignore-")
    Path("big.md").write_text(text, encoding="utf-8")
    args = [command, "big.md", "--format", "json"]
    monkeypatch.setattr(split, "SPLIT_MIN_BYTES", 10**9)
    one = CliRunner().invoke(cli, args)
    assert merges == []
    monkeypatch.setattr(split, "SPLIT_MIN_BYTES", 1000)
    two = CliRunner().invoke(cli, args)
    assert merges == [1]
    assert (two.exit_code, two.stdout) == (one.exit_code, one.stdout)
    assert one.exit_code == (1 if command == "lint" else 0) and one.stdout.count('"line"') > 40


def test_a_last_list_after_appended_definitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk that ends the file with a tight list and uses an earlier chunk's definition
    (appended after it for the parser): the last item runs on over the appended lines;
    its end is where the chunk ends (found by the generated documents above)."""
    text = (
        "# A\n\n[r1]: https://d.test/1\n\n" + "filler line\n\n" * 4 + "# B\n\n[x][r1]\n\n"
        "- [x](https://l.test/58)\n- <https://auto.test/2>\n"
    )
    whole = extract_text(text, "f.md")
    monkeypatch.setattr(markdown, "CHUNK_CHARS", 40)
    assert _key(extract_text(text, "f.md")) == _key(whole)
    assert [o.url for o in whole.occurrences][-2:] == ["https://l.test/58", "https://auto.test/2"]


def test_a_worker_that_ended_before_the_last_word_is_used(
    merges: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose half uses no label defined before the cut walks on without the
    seeds and may end before the parent sends them (a broken pipe): its result is still
    used (it was thrown away and the file parsed again in one process)."""
    real = Worker.seed

    def late_seed(self: Worker, seeds: list[split.Seed]) -> bool:
        self.proc.wait(60)  # the parent descheduled until the worker is done
        return real(self, seeds)

    monkeypatch.setattr(Worker, "seed", late_seed)
    filler = "filler line\n\n" * 24
    text = "".join(f"# {n}\n\n[{n}](https://{n}.test)\n\n{filler}" for n in "abcdef")
    assert _key(_split(text)) == _key(extract_text(text, "f.md"))
    assert merges == [1]


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_damaged_rendered_texts_mean_one_process(
    fmt: str, merges: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytes of the worker's rendered texts damaged in its file (a bad disk, another
    process): the parent sees it before it writes anything and parses in one process
    (it wrote half the output, then a traceback)."""
    real = Worker.result

    def damaged(self: Worker, timeout: float, fp: Any) -> Any:
        self.proc.wait(60)
        self.out.seek(0)
        record = split._load(self.out)
        while "parts" not in record:
            record = split._load(self.out)
        at = self.out.tell() + record["parts"] // 2
        self.out.seek(at)
        byte = self.out.read(1)
        self.out.seek(at)
        self.out.write(bytes([byte[0] ^ 0xFF]))
        self.out.flush()
        return real(self, timeout, fp)

    monkeypatch.setattr(Worker, "result", damaged)
    text = _document(1).replace("linkhealth-ignore-", "no-ignore-")
    two = _split(text, render=fmt)
    assert merges == []
    assert _output(two, fmt) == _output(extract_text(text, "f.md", render=fmt), fmt)


@pytest.mark.parametrize("render", [None, "json"])
def test_plain_lines_in_both_halves(render: str | None, merges: list[int]) -> None:
    """A list of plain lines (parse/walk.py's _plain_lines in both processes): the
    worker's lines are counted from the cut's."""
    lines = []
    for i in range(300):
        if i % 40 == 0:
            lines += ["", f"## Part {i}", ""]
        lines.append(f"- [L {i}](https://h{i % 5}.example.org/{'p' * (i % 40)}) x {i}")
    text = "\n".join(lines) + "\n"
    if render is None:
        assert _key(_split(text)) == _key(extract_text(text, "f.md"))
    else:
        _same_output(text, render)
    assert merges == [1], "not split"


def _plain_list(extra: dict[int, str]) -> str:
    """A list of plain links in parts (headings to cut at), ``extra`` lines put before
    the item of that number."""
    lines = []
    for i in range(300):
        if i % 10 == 0:
            lines += ["", f"## Part {i}", ""]
        if i in extra:
            lines += ["", extra[i], ""]
        lines.append(f"- [L {i}](https://h{i % 5}.example.org/{i}{'?q#f' if i % 7 == 0 else ''})")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "extra",
    [
        {},  # no "]:": no label read, the worker cuts its half itself
        {150: "text ]: no definition"},  # a "]:" that defines nothing, in either half
        {20: "text ]: no definition"},
        {20: "[r]: https://r.org/def", 250: "- [t][r] and [r]"},  # used after the cut
        {20: "- [t][r] and [r]", 250: "[r]: https://r.org/def"},  # defined after it
        {250: "[r]: https://r.org/def", 260: "- [t][r]", 10: "[R]: https://first.org/"},
        {250: "[unused]: https://u.org/x", 30: "[unused2]: https://u.org/y"},
    ],
)
def test_a_plain_list_in_two_processes_is_one_processs(
    extra: dict[int, str], merges: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list of plain links (the outage's shape) parsed in two processes: the same
    occurrences, findings and keys as in one, with or without definitions in it. Without
    a "]:" in the file the parent reads no label and sends no chunk (the worker cuts its
    half: the same chunks as the parent's)."""
    text = _plain_list(extra)
    headers: list[dict[str, Any]] = []
    send = Worker.send

    def sent(self: Worker, header: dict[str, Any], half: bytes) -> bool:
        headers.append(header)
        return send(self, header, half)

    read: list[int] = []
    labels = split.Walk._labels

    def spy(self: split.Walk, a: int, b: int) -> tuple[set[str], set[str]]:
        read.append(a)
        return labels(self, a, b)

    monkeypatch.setattr(Worker, "send", sent)
    monkeypatch.setattr(split.Walk, "_labels", spy)
    two = _split(text)
    monkeypatch.setattr(split.Walk, "_labels", labels)
    one = extract_text(text, "f.md")
    assert merges == [1], "not split"
    assert _key(two) == _key(one) and two.keys == one.keys and two.files == one.files
    defined = "]:" in text
    assert [h["defined"] for h in headers] == [defined]
    cut = headers[0]["cut"]
    if defined:
        assert headers[0]["chunks"] == markdown.chunks(text[cut:], line_starts(text[cut:]))
        assert read
    else:
        assert headers[0]["chunks"] is None and not read
    if any("[r]" in line for line in extra.values()):
        assert any(o.kind == "reference" for o in two.occurrences)
