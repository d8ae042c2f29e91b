"""A loopback stand-in for the Wayback Machine's two look-up APIs, written from their docs.

* Availability API (https://archive.org/help/wayback_api.php):
  ``GET /wayback/available?url=U[&timestamp=YYYYMMDDhhmmss]`` answers JSON
  ``{"url": U, "archived_snapshots": {"closest": {"status": "200", "available": true,
  "url": "http://web.archive.org/web/<ts>/<U>", "timestamp": "<ts>"}}}``: the capture
  closest to ``timestamp`` (the newest without it), or ``"archived_snapshots": {}``.
* CDX server API (github.com/internetarchive/wayback, wayback-cdx-server/README.md):
  ``GET /cdx/search/cdx?url=U`` answers one capture per line, fields separated by
  spaces (``urlkey timestamp original mimetype statuscode digest length`` unless
  ``fl=`` picks fields), oldest first; ``from``/``to`` bound the timestamp
  (inclusive, short timestamps padded), ``filter=[!]field:regex`` keeps matching
  lines, ``limit=N`` the first N and ``limit=-N`` the last N; ``output=json`` gives a
  JSON array of arrays whose first row names the fields.

Usage::

    wb = Wayback(pool.host("127.0.0.5"), name="archive.test")
    wb.capture("https://gone.test/a", "20200101000000", 200)
    ... settings.archive_endpoint = wb.endpoint; resolve archive.test=wb.server.target ...
    assert wb.asked("/cdx/search/cdx") == 1
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from support.servers import HostServer, Reply, Request, html_page

CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


@dataclass(frozen=True)
class Capture:
    url: str
    timestamp: str
    status: int


def _seconds(ts: str) -> float:
    return datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=UTC).timestamp()


def _pad(ts: str, upper: bool) -> str:
    return ts + ("99991231235959"[len(ts) :] if upper else "00000101000000"[len(ts) :])


class Wayback:
    """Captures by URL, served by the two APIs on ``server`` (reached as ``name``)."""

    def __init__(self, server: HostServer, name: str = "archive.test") -> None:
        self.server = server
        self.name = name
        self.captures: list[Capture] = []
        # The address the availability API answers with, per URL (hostile answers).
        self.answer_url: dict[str, str] = {}
        server.route("/wayback/available", self._available)
        server.route("/cdx/search/cdx", self._cdx)

    @property
    def endpoint(self) -> str:
        return f"http://{self.name}:{self.server.port}"

    def capture(self, url: str, timestamp: str, status: int = 200) -> Wayback:
        """A capture of ``url``; its snapshot page is served too (``/web/<ts>/<url>``)."""
        self.captures.append(Capture(url, timestamp, status))
        self.captures.sort(key=lambda c: c.timestamp)
        page = html_page(f"Archived: {url}")
        self.server.route(f"/web/{timestamp}/{url}", Reply(status, body=page))
        return self

    def snapshot(self, c: Capture) -> str:
        return f"http://{self.name}:{self.server.port}/web/{c.timestamp}/{c.url}"

    def asked(self, path: str) -> int:
        return sum(1 for r in self.server.requests if r.path.split("?", 1)[0] == path)

    def queries(self, path: str) -> list[dict[str, str]]:
        out = []
        for r in self.server.requests:
            base, _, query = r.path.partition("?")
            if base == path:
                out.append({k: v[0] for k, v in parse_qs(query).items()})
        return out

    # -- the APIs ------------------------------------------------------------

    def _available(self, req: Request) -> Reply:
        q = {k: v[0] for k, v in parse_qs(urlsplit(req.path).query).items()}
        url = q.get("url", "")
        mine = [c for c in self.captures if c.url == url]
        body: dict[str, object] = {"url": url, "archived_snapshots": {}}
        if mine:
            if "timestamp" in q:
                target = _seconds(_pad(q["timestamp"], upper=False))
                best = min(mine, key=lambda c: abs(_seconds(c.timestamp) - target))
            else:
                best = mine[-1]
            body["archived_snapshots"] = {
                "closest": {
                    "status": str(best.status),
                    "available": True,
                    "url": self.answer_url.get(url, self.snapshot(best)),
                    "timestamp": best.timestamp,
                }
            }
        return Reply(200, body=json.dumps(body).encode(), content_type="application/json")

    def _cdx(self, req: Request) -> Reply:
        q = parse_qs(urlsplit(req.path).query)
        url = q.get("url", [""])[0]
        fields = q.get("fl", [",".join(CDX_FIELDS)])[0].split(",")
        rows = [self._row(c) for c in self.captures if c.url == url]
        if "from" in q:
            rows = [r for r in rows if r["timestamp"] >= _pad(q["from"][0], upper=False)]
        if "to" in q:
            rows = [r for r in rows if r["timestamp"] <= _pad(q["to"][0], upper=True)]
        for spec in q.get("filter", []):
            negate = spec.startswith("!")
            name, _, pattern = spec.lstrip("!").partition(":")
            rows = [r for r in rows if bool(re.fullmatch(pattern, r.get(name, ""))) != negate]
        if "limit" in q:
            n = int(q["limit"][0])
            rows = rows[n:] if n < 0 else rows[:n]
        table = [[r[f] for f in fields] for r in rows]
        if q.get("output", [""])[0] == "json":
            body = json.dumps([fields, *table] if table else []).encode()
            return Reply(200, body=body, content_type="application/json")
        text = "".join(" ".join(row) + "\n" for row in table)
        return Reply(200, body=text.encode(), content_type="text/plain")

    @staticmethod
    def _row(c: Capture) -> dict[str, str]:
        parts = urlsplit(c.url)
        key = ",".join(reversed((parts.hostname or "").split("."))) + ")" + (parts.path or "/")
        return {
            "urlkey": key,
            "timestamp": c.timestamp,
            "original": c.url,
            "mimetype": "text/html",
            "statuscode": str(c.status),
            "digest": "SHA1DIGEST",
            "length": "1234",
        }


def loopback_flags(tmp_path: Path, wb: Wayback, **hosts: str) -> list[str]:
    """CLI flags for a run against loopback: a store in ``tmp_path``, the archive stand-in
    and ``hosts`` (name → addr:port) resolved, short timeouts, no retries, no waits.

    The stand-in's own host gets no politeness interval (a config file says so).
    """
    config = tmp_path / "linkhealth.toml"
    config.write_text('[hosts."archive.test"]\ninterval = 0\n', encoding="utf-8")
    resolves = {**hosts, "archive.test": wb.server.target}
    flags = ["--config", str(config), "--store", str(tmp_path / "state.sqlite")]
    for name, target in resolves.items():
        flags += ["--resolve", f"{name}={target}"]
    return [*flags, *("--timeout", "3", "--retries", "0", "--host-interval", "0")]
