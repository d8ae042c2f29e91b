"""Start-up stays light: a command imports only what it needs.

``python -X importtime`` lists the modules a process imported (on stderr) — but not
those imported through ``importlib.import_module`` (the lazy command table, the report
formats), so the child also writes ``sys.modules`` as it exits and both are read. The
offline commands must not pay for the network stack; ``--version`` and ``--help``
import no command at all. (Speed itself is measured in bench/, not asserted here.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.servers import Reply, ServerPool, html_page

NETWORK = {"aiohttp", "httptools", "httpx", "httpx_aiohttp", "tenacity", "selectolax"}
HEAVY = {"rich", "pydantic", "jinja2", "markdown_it", "linkhealth.fetch", "linkhealth.pipeline"}
#: Imported only by the run that needs them: rich for a terminal, jinja2 for html,
#: charset-normalizer for a page whose encoding has to be guessed, dask for a cluster.
ON_NEED = {"rich", "pygments", "jinja2", "charset_normalizer", "dask", "distributed"}


#: Runs the CLI as ``python -m linkhealth`` does, writing ``sys.modules`` at exit to argv[1].
_CHILD = (
    "import atexit, sys\n"
    "out = sys.argv.pop(1)\n"
    "atexit.register(lambda: open(out, 'w').write('\\n'.join(sys.modules)))\n"
    "from linkhealth.cli import main\n"
    "main()\n"
)


def _program(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``argv`` run in ``cwd``: no input (not a terminal: no progress bar), text output
    captured, at most a minute."""
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def _imported(*args: str, cwd: Path) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    listing = cwd / "modules.txt"
    proc = _program([sys.executable, "-X", "importtime", "-c", _CHILD, str(listing), *args], cwd)
    modules = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                modules.add(name)
    assert "click" in modules  # the importtime listing was read
    modules |= set(listing.read_text(encoding="utf-8").split())
    return modules, proc


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["--help"],
        *([name, "--help"] for name in ("lint", "check", "annotate", "report")),
    ],
)
def test_version_and_help_import_no_command(args: list[str], tmp_path: Path) -> None:
    modules, proc = _imported(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "click" in modules  # the importtime listing was read
    assert not (modules & NETWORK), sorted(modules & NETWORK)
    if args[0] != "annotate":  # annotate's module works on pydantic results throughout
        assert "pydantic" not in modules
    if len(args) == 1:
        assert not (modules & HEAVY), sorted(modules & HEAVY)
        assert not any(m.startswith("linkhealth.cli.") for m in modules - {"linkhealth.cli"})


@pytest.mark.parametrize("command", ["lint", "extract"])
def test_offline_commands_do_not_import_the_network_stack(command: str, tmp_path: Path) -> None:
    small = tmp_path / "small.md"
    small.write_text(
        "# Links\n\n- [a](https://example.org/a)\n- https://example.org/b\n- [c](htps://x.org)\n"
        "- [d](missing.md)\n",  # a local link: judged offline
        encoding="utf-8",
    )
    modules, proc = _imported(command, str(small), cwd=tmp_path)
    assert "linkhealth.parse" in modules  # it really parsed the file
    assert (proc.returncode, command) in ((1, "lint"), (0, "extract")), proc.stderr[-2000:]
    assert not (modules & NETWORK), sorted(modules & NETWORK)
    assert not (modules & ON_NEED), sorted(modules & ON_NEED)
    # Settings, occurrences, findings and local verdicts are plain classes: no pydantic.
    assert not any(m.split(".")[0] in ("pydantic", "pydantic_core") for m in modules)
    assert "linkhealth.models" not in modules
    assert "markdown_it" not in modules  # markdown-it-py is the fallback, imported on need
    assert not any(m.startswith(("aiohttp.", "httpx.", "linkhealth.fetch")) for m in modules)
    formats = {m for m in modules if m.startswith("linkhealth.report.")}
    assert formats == _FORMATS[command], sorted(formats)


#: The report modules each offline command renders with (the package imports the
#: formats of ``check`` and ``report`` only when one is rendered).
_FORMATS = {
    "lint": {"linkhealth.report.lintfmt", "linkhealth.report.redact"},
    "extract": {"linkhealth.report.extractfmt", "linkhealth.report.redact"},
}


def test_check_imports_what_a_plain_run_needs(tmp_path: Path) -> None:
    """A `check` of a labelled page, not on a terminal, text output: the network stack,
    but neither rich (httpx's own CLI would bring it) nor jinja2 nor the charset
    detector; of the report formats only those it writes."""
    with ServerPool(lifetime=60) as pool:
        host = pool.host("127.0.0.1")
        host.route("/a", Reply(200, body=html_page("A")))
        listed = tmp_path / "one.md"
        listed.write_text(f"# L\n\n- [a]({host.url('/a')})\n", encoding="utf-8")
        modules, proc = _imported(
            "check",
            str(listed),
            "--allow-private",
            "--store",
            str(tmp_path / "state.sqlite"),
            "--reports-dir",
            str(tmp_path / "reports"),
            cwd=tmp_path,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "1 ok" in proc.stdout  # it really checked the link (the text report)
    assert {"httptools", "httpx", "linkhealth.fetch"} <= modules
    # aiohttp sends the bytes only for runs with environment proxies or a cookie jar.
    assert not {"aiohttp", "httpx_aiohttp"} & modules
    assert not (modules & ON_NEED), sorted(modules & ON_NEED)
    # a list of plain links naming its file: no bare-URL finder, no .gitignore reader
    assert not {"linkify_it", "linkhealth.inputs.gitignore"} & modules
    # http to one address, no local link, no GitHub token: no TLS trust store, no happy
    # eyeballs, no local-link checker, no GitHub API mapping
    unneeded = {"certifi", "aiohappyeyeballs", "linkhealth.local.checker", "linkhealth.github"}
    assert not unneeded & modules, sorted(unneeded & modules)
    assert "linkhealth.meta" in modules  # a page was judged
    assert "linkhealth.archive" not in modules  # no --archive
    # The allowed legacy codecs are looked up when a page needs one, not at start.
    assert not {"encodings.gb18030", "encodings.big5hkscs", "encodings.cp1251"} & modules
    formats = {m for m in modules if m.startswith("linkhealth.report.")}
    assert formats == {
        "linkhealth.report.jsonfmt",  # results.json
        "linkhealth.report.markdown",  # broken-links.md, enrichment.md
        "linkhealth.report.redact",
        "linkhealth.report.text",  # --format text on stdout
        "linkhealth.report.view",
    }, sorted(formats)


def test_a_check_that_judges_no_page_imports_no_metadata_code(tmp_path: Path) -> None:
    """Metadata extraction (meta/, selectolax) loads with the first page judged: a run
    whose links all fail before an answer (an outage's case) never imports it."""
    with ServerPool(lifetime=60) as pool:
        port = pool.host("127.0.0.1").url("/").rsplit(":", 1)[1].strip("/")
    listed = tmp_path / "one.md"  # the pool is closed: its port refuses connections
    listed.write_text(f"- [a](http://127.0.0.1:{port}/a)\n", encoding="utf-8")
    modules, proc = _imported(
        "check", str(listed), "--allow-private", "--retries", "0", "--no-reports",
        "--store", str(tmp_path / "state.sqlite"), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode in (1, 3), proc.stderr[-2000:]
    assert "linkhealth.fetch" in modules and "linkhealth.report.text" in modules
    assert not {"linkhealth.meta", "selectolax", "linkhealth.archive"} & modules


#: The program, with an object that says so if the interpreter's teardown frees it, and an
#: exit handler and a non-daemon thread when asked.
_ENDING = (
    "import atexit, os, sys, threading\n"
    "class Freed:\n"
    "    def __del__(self, write=os.write):\n"
    "        write(2, b'teardown\\n')\n"
    "kept = Freed()\n"
    "atexit.register(lambda: sys.stderr.write('exit handler\\n'))\n"
    "if sys.argv.pop(1) == 'thread':  # runs until the main thread is done\n"
    "    threading.Thread(target=threading.main_thread().join).start()\n"
    "from linkhealth.cli import main\n"
    "main()\n"
)


@pytest.mark.parametrize("thread", ["", "thread"])
def test_the_program_ends_without_the_teardown_once_its_output_is_out(
    tmp_path: Path, thread: str
) -> None:
    """What an exit does first (exit handlers, flushed output: here a JSON report through
    a pipe) is done, and the exit code kept; the teardown that frees every object is
    skipped, unless a thread that is not a daemon still runs (Python waits for it)."""
    links = tmp_path / "links.md"
    links.write_text("- [here](./links.md)\n- [gone](./gone.md)\n", encoding="utf-8")
    args = ["check", str(links), "--format", "json", "--no-reports", "--store"]
    proc = _program(
        [sys.executable, "-c", _ENDING, thread, *args, str(tmp_path / "s.sqlite")], tmp_path
    )
    assert proc.returncode == 1, proc.stderr[-2000:]  # one broken local link
    report = json.loads(proc.stdout)
    assert [r["verdict"] for r in report["results"]] == ["ok", "broken"]
    assert "exit handler" in proc.stderr
    assert ("teardown" in proc.stderr) is bool(thread)
    bad = _program([sys.executable, "-c", _ENDING, thread, "check", "--max-age", "never"], tmp_path)
    assert bad.returncode == 2 and "never" in bad.stderr and "exit handler" in bad.stderr


@pytest.mark.parametrize("closed", [">&-", "2>&- >/dev/null", ">&- 2>&-"])
def test_the_exit_code_is_kept_when_the_program_starts_without_stdout_or_stderr(
    tmp_path: Path, closed: str
) -> None:
    """A program started with standard output or error closed (cron, some supervisors)
    has None for that stream: the ending flushes the streams it has and keeps the
    command's exit code (it raised on None and exited 1 with a traceback)."""
    links = tmp_path / "links.md"
    links.write_text("- [here](./links.md)\n", encoding="utf-8")
    command = f'"$@" {closed}; echo "rc=$?" >&3'
    args = ["check", str(links), "--no-reports", "--store", str(tmp_path / "s.sqlite")]
    proc = _program(
        ["sh", "-c", f"exec 3>&1; {command}", "sh", sys.executable, "-m", "linkhealth", *args],
        tmp_path,
    )
    assert "rc=0" in proc.stdout, (proc.stdout, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr


def test_a_caller_that_profiles_the_program_gets_control_back(tmp_path: Path) -> None:
    """Under a profiler (``python -m cProfile``), a tracer or coverage, the program
    returns to its caller (which writes what it measured) instead of ending the process."""
    links = tmp_path / "links.md"
    links.write_text("- [here](./links.md)\n", encoding="utf-8")
    script = (
        "import sys\n"
        "sys.setprofile(lambda *a: None)\n"
        "from linkhealth.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    print('returned', done.code, file=sys.stderr)\n"
    )
    proc = _program([sys.executable, "-c", script, "extract", str(links)], tmp_path)
    assert proc.returncode == 0 and "returned 0" in proc.stderr, proc.stderr[-2000:]


#: The program, each result and the run's plan saying so when freed (``__del__``).
_KEEPING = (
    "import os\n"
    "from linkhealth.models import CheckResult\n"
    "from linkhealth.pipeline.plan import Plan\n"
    "def freed(self, write=os.write):\n"
    "    write(2, f'freed {type(self).__name__}\\n'.encode())\n"
    "CheckResult.__del__ = Plan.__del__ = freed\n"
    "from linkhealth.cli import main\n"
    "main()\n"
)


def test_the_program_leaves_a_checks_results_and_plan_to_its_end(tmp_path: Path) -> None:
    """What a check made (its results, its plan) is not freed object by object as the
    command returns: the program's end (``os._exit``) frees it with the process."""
    links = tmp_path / "links.md"
    links.write_text("- [here](./links.md)\n- [gone](./gone.md)\n", encoding="utf-8")
    args = ["check", str(links), "--format", "json", "--no-reports", "--store"]
    proc = _program([sys.executable, "-c", _KEEPING, *args, str(tmp_path / "s.sqlite")], tmp_path)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert [r["verdict"] for r in json.loads(proc.stdout)["results"]] == ["ok", "broken"]
    assert "freed" not in proc.stderr


def test_a_command_run_without_the_program_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under click's test runner (no :func:`~linkhealth.cli.main`) a command's outcome is
    freed as it returns: nothing is kept for an end that is not coming."""
    from click.testing import CliRunner

    import linkhealth.cli as program

    monkeypatch.chdir(tmp_path)  # the links' root
    links = tmp_path / "links.md"
    links.write_text("- [here](./links.md)\n", encoding="utf-8")
    args = ["check", str(links), "--no-reports", "--store", str(tmp_path / "s.sqlite")]
    assert CliRunner().invoke(program.cli, args).exit_code == 0
    assert program._kept is None
