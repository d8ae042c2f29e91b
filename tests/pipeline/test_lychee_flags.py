"""lychee's options under lychee's names, end to end against loopback hosts: -a/-H/-t/-u,
--method, --insecure, --min-tls, --basic-auth, --github-token (a stand-in of GitHub's REST
API), --cookie-jar, --remap, --offline, --dump, --exclude-path."""

from __future__ import annotations

import base64
import json
import ssl
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from linkhealth.cli import cli
from linkhealth.config import TlsVersion
from linkhealth.fetch.client import build_ssl_context
from linkhealth.github import github_api_url
from support.servers import Reply, Request, ServerPool, html_page

TOKEN = "ghp_" + "T0k3n" * 8  # GitHub's classic token shape


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """``check`` with a private store and reports folder, no retries, no waiting."""
    opts = {
        "--store": tmp_path / "state.sqlite",
        "--reports-dir": tmp_path / "reports",
        "--retries": 0,
        "--host-interval": 0,
        "--max-age": 0,
    }
    flat = [str(part) for pair in opts.items() for part in pair]
    return CliRunner(env=env).invoke(cli, ["check", *args, "--allow-private", *flat])


def listing(tmp_path: Path, *urls: str, name: str = "list.md") -> Path:
    path = tmp_path / name
    path.write_text("# Links\n\n" + "".join(f"- <{u}>\n" for u in urls), encoding="utf-8")
    return path


def verdicts(result: Result) -> dict[str, str]:
    assert result.exit_code in (0, 1), result.output
    return {r["url"]: r["verdict"] for r in json.loads(result.stdout)["results"]}


def test_short_flags_and_lychee_accept_ranges(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.2")

    def who(req: Request) -> Reply:
        ok = req.headers.get("x-team") == "docs" and req.headers["user-agent"] == "me/1"
        return Reply(200 if ok else 400, body=html_page("Who"))

    a.route("/who", who)
    a.route("/teapot", Reply(418, body=html_page("Tea")))
    lst = listing(tmp_path, a.url("/who"), a.url("/teapot"))
    args = ["-H", "X-Team: docs", "-u", "me/1", "-t", "5", "--format", "json"]
    result = run(tmp_path, str(lst), *args, "-a", "200..=299, 418..419")
    assert verdicts(result) == {a.url("/who"): "ok", a.url("/teapot"): "ok"}
    result = run(tmp_path, str(lst), *args, "--accept", "200..300")  # end excluded
    assert verdicts(result)[a.url("/teapot")] == "broken"


@pytest.mark.parametrize("bad", ["200..=", "abc..=299", "300..=200", "..=99"])
def test_bad_lychee_ranges_are_usage_errors(tmp_path: Path, bad: str) -> None:
    result = run(tmp_path, str(listing(tmp_path, "http://127.0.0.1:9/")), "-a", bad)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert bad in result.output


def test_method_head(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.2")
    a.route("/p", lambda req: Reply(200 if req.method == "HEAD" else 405, body=b""))
    result = run(tmp_path, str(listing(tmp_path, a.url("/p"))), "-X", "head", "--format", "json")
    assert verdicts(result) == {a.url("/p"): "ok"}
    assert [r.method for r in a.requests] == ["HEAD"]


def test_insecure_accepts_an_untrusted_certificate(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.2", tls="untrusted")
    a.route("/s", Reply(200, body=html_page("Self-signed")))
    lst = str(listing(tmp_path, a.url("/s")))
    assert verdicts(run(tmp_path, lst, "--format", "json"))[a.url("/s")] == "error"
    assert verdicts(run(tmp_path, lst, "--insecure", "--format", "json"))[a.url("/s")] == "ok"


def test_min_tls_sets_the_lowest_version() -> None:
    ctx = build_ssl_context(None, min_tls=TlsVersion.TLS1_3)
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_3
    assert build_ssl_context(None).verify_mode == ssl.CERT_REQUIRED


def test_min_tls_refuses_an_older_server(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.2", tls=True)
    assert a.tls is not None
    a.tls.maximum_version = ssl.TLSVersion.TLSv1_2
    a.route("/old", Reply(200, body=html_page("TLS 1.2 only")))
    lst = str(listing(tmp_path, a.url("/old")))
    ca = ["--ca-bundle", str(pool.ca_file), "--format", "json"]
    assert verdicts(run(tmp_path, lst, *ca))[a.url("/old")] == "ok"
    refused = verdicts(run(tmp_path, lst, *ca, "-t", "3", "--min-tls", "TLSv1_3"))
    assert refused[a.url("/old")] in ("error", "timeout")  # the handshake never completes


def test_basic_auth_only_where_it_matches(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.2")
    b = pool.host("127.0.0.3")
    expected = "Basic " + base64.b64encode(b"me:s3cret").decode()
    a.route(
        "/private", lambda req: Reply(200 if req.headers.get("authorization") == expected else 401)
    )
    a.route("/away", Reply(302, headers={"Location": b.url("/landing")}))
    b.route("/landing", Reply(200, body=html_page("Elsewhere")))
    lst = str(listing(tmp_path, a.url("/private"), a.url("/away")))
    rule = f"^http://127\\.0\\.0\\.2:{a.port}/ me:s3cret"
    result = run(tmp_path, lst, "--basic-auth", rule, "--format", "json")
    assert verdicts(result)[a.url("/private")] == "ok"
    assert all("authorization" not in r.headers for r in b.requests)  # not on the redirect
    assert "s3cret" not in result.output
    assert not any("s3cret" in p.read_text() for p in (tmp_path / "reports").iterdir())


@pytest.mark.parametrize(
    ("url", "api"),
    [
        ("https://github.com/o/r", "/repos/o/r"),
        ("https://github.com/o/r.git", "/repos/o/r"),
        ("https://github.com/o/r/issues/12", "/repos/o/r/issues/12"),
        ("https://github.com/o/r/pull/7/files", "/repos/o/r/pulls/7"),
        (
            "https://github.com/o/r/blob/main/docs/a b.md",
            "/repos/o/r/contents/docs/a%20b.md?ref=main",
        ),
        ("https://github.com/o/r/tree/v1", "/repos/o/r/contents/?ref=v1"),
        ("https://github.com/o", None),
        ("https://github.com/o/r/releases", None),
        ("https://github.com/orgs/x/people", None),
        ("https://gist.github.com/o/abc", None),
        ("https://github.com:8443/o/r", None),
    ],
)
def test_github_links_mapped_to_rest_endpoints(url: str, api: str | None) -> None:
    got = github_api_url(url, "https://api.example/")
    assert got == (None if api is None else "https://api.example" + api)


def github_standin(pool: ServerPool) -> tuple[object, object]:
    """GitHub's REST API as documented: JSON bodies, 404 {"message": "Not Found"}, 301 for a
    moved repository, Bearer tokens, and a redirect to a host that must not see the token."""
    api = pool.host("127.0.0.4")
    other = pool.host("127.0.0.5")
    seen: list[str | None] = []

    def answer(body: dict[str, object], status: int = 200) -> object:
        def handler(req: Request) -> Reply:
            seen.append(req.headers.get("authorization"))
            if req.headers.get("authorization") != f"Bearer {TOKEN}":
                return Reply(
                    401, body=b'{"message": "Bad credentials"}', content_type="application/json"
                )
            return Reply(status, body=json.dumps(body).encode(), content_type="application/json")

        return handler

    api.route("/repos/o/r", answer({"full_name": "o/r", "description": "A repo"}))
    api.route("/repos/o/r/issues/1", answer({"number": 1, "title": "An issue"}))
    api.route("/repos/o/gone", answer({"message": "Not Found"}, 404))
    api.route("/repos/o/r/contents/README.md", answer({"type": "file", "name": "README.md"}))
    api.route("/repos/o/moved/pulls/2", Reply(302, headers={"Location": other.url("/elsewhere")}))
    other.route("/elsewhere", Reply(200, body=b"{}", content_type="application/json"))
    return api, other


def test_github_token_checks_through_the_api(pool: ServerPool, tmp_path: Path) -> None:
    api, other = github_standin(pool)
    web = pool.host("127.0.0.6")  # github.com itself: must not be asked
    urls = [
        "https://github.com/o/r",
        "https://github.com/o/r/issues/1",
        "https://github.com/o/gone",
        "https://github.com/o/r/blob/main/README.md",
        "https://github.com/o/moved/pull/2",
    ]
    lst = str(listing(tmp_path, *urls))
    env = {"GITHUB_TOKEN": TOKEN, "LINKHEALTH_GITHUB_API_ENDPOINT": api.url("")}  # type: ignore[attr-defined]
    result = run(
        tmp_path, lst, "--format", "json", "--resolve", f"github.com={web.target}", env=env
    )
    got = verdicts(result)
    assert got == {
        urls[0]: "ok",
        urls[1]: "ok",
        urls[2]: "broken",
        urls[3]: "ok",
        urls[4]: "redirected",
    }
    assert web.hits() == 0
    assert all("authorization" not in r.headers for r in other.requests)  # type: ignore[attr-defined]
    assert api.hits() == 5  # type: ignore[attr-defined]
    assert TOKEN not in result.output
    for report in (tmp_path / "reports").iterdir():
        assert TOKEN not in report.read_text()


def test_github_token_redacted_when_a_page_echoes_it(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.2")
    a.route("/echo", Reply(200, body=html_page(f"token {TOKEN}")))
    result = run(tmp_path, str(listing(tmp_path, a.url("/echo"))), "--format", "json")
    assert TOKEN not in result.output and "token ***" in result.output
    for report in (tmp_path / "reports").iterdir():
        assert TOKEN not in report.read_text()


def test_without_a_token_github_links_are_fetched_as_pages(
    pool: ServerPool, tmp_path: Path
) -> None:
    web = pool.host("127.0.0.6", tls=True, names=["github.com"])
    web.route("/o/r", Reply(200, body=html_page("o/r on GitHub")))
    lst = str(listing(tmp_path, "https://github.com/o/r"))
    result = run(
        tmp_path,
        lst,
        "--format",
        "json",
        "--resolve",
        f"github.com={web.target}",
        "--ca-bundle",
        str(pool.ca_file),
        env={"GITHUB_TOKEN": ""},
    )
    assert verdicts(result) == {"https://github.com/o/r": "ok"}
    assert web.hits("/o/r") == 1


def test_cookie_jar_is_read_and_written(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.2")
    a.route("/login", Reply(200, body=html_page("In"), headers={"Set-Cookie": "sid=abc; Path=/"}))
    a.route(
        "/members", lambda req: Reply(200 if "sid=abc" in req.headers.get("cookie", "") else 403)
    )
    jar = tmp_path / "cookies.txt"
    first = run(tmp_path, str(listing(tmp_path, a.url("/login"))), "--cookie-jar", str(jar))
    assert first.exit_code == 0, first.output
    assert "sid\tabc" in jar.read_text()
    second = run(
        tmp_path,
        str(listing(tmp_path, a.url("/members"), name="m.md")),
        "--cookie-jar",
        str(jar),
        "--format",
        "json",
    )
    assert verdicts(second) == {a.url("/members"): "ok"}


def test_remap_checks_the_replacement(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.2")
    a.route("/new/page", Reply(200, body=html_page("Moved here")))
    lst = str(listing(tmp_path, "http://old.invalid/page"))
    rule = f"^http://old\\.invalid/ {a.url('/new/')}"
    result = run(tmp_path, lst, "--remap", rule, "--format", "json")
    assert verdicts(result) == {a.url("/new/page"): "ok"}
    assert a.hits("/new/page") == 1


def test_offline_checks_local_links_only(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.2")
    (tmp_path / "here.md").write_text("# Here\n")
    lst = tmp_path / "list.md"
    lst.write_text(f"- <{a.url('/x')}>\n- [here](here.md)\n- [gone](gone.md)\n")
    result = run(tmp_path, str(lst), "--offline", "--format", "json")
    got = verdicts(result)
    assert got[a.url("/x")] == "excluded" and a.hits() == 0
    assert result.exit_code == 1  # gone.md is still broken


def test_dump_prints_what_would_be_checked(pool: ServerPool, tmp_path: Path) -> None:
    a = pool.host("127.0.0.2")
    lst = tmp_path / "list.md"
    lst.write_text(
        f"- <{a.url('/x')}>\n- <{a.url('/skip')}>\n- [here](here.md)\n- <{a.url('/x')}>\n"
    )
    result = run(tmp_path, str(lst), "--dump", "--exclude", "/skip$")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [a.url("/x"), "here.md"]
    assert a.hits() == 0 and not (tmp_path / "reports").exists()


def test_exclude_path_skips_files(pool: ServerPool, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "old").mkdir(parents=True)
    (docs / "a.md").write_text("- <http://127.0.0.1:9/a>\n")
    (docs / "old" / "b.md").write_text("- <http://127.0.0.1:9/b>\n")
    result = run(tmp_path, str(docs), "--dump", "--exclude-path", "/old/")
    assert result.stdout.splitlines() == ["http://127.0.0.1:9/a"]


def test_exclude_path_under_a_host_is_not_taken_for_exclude(tmp_path: Path) -> None:
    config = tmp_path / "linkhealth.toml"
    config.write_text('[hosts."example.com"]\nexclude-path = ["x"]\n')
    result = run(tmp_path, str(listing(tmp_path, "http://127.0.0.1:9/")), "--config", str(config))
    assert result.exit_code == 2
    assert "'exclude-path' is not a per-host key" in result.output
    assert "did you mean" not in result.output


def test_lycheeignore_is_read_as_regexes(
    pool: ServerPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the root: where ignore files are read
    a = pool.host("127.0.0.2")
    (tmp_path / ".lycheeignore").write_text("# lychee's file\n/private/.*\n")
    (tmp_path / ".linkhealthignore").write_text("*/skipme\n")
    lst = listing(tmp_path, a.url("/private/x"), a.url("/skipme"), a.url("/kept"))
    result = CliRunner().invoke(cli, ["check", str(lst), "--dump", "--allow-private"])
    assert result.stdout.splitlines() == [a.url("/kept")]
