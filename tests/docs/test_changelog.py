"""CHANGELOG.md keeps the Keep a Changelog form."""

from __future__ import annotations

import re
from pathlib import Path

CHANGELOG = Path(__file__).resolve().parents[2] / "CHANGELOG.md"
SECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_keep_a_changelog_form() -> None:
    text = CHANGELOG.read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "keepachangelog.com" in text
    releases = re.findall(r"^## (.+)$", text, re.M)
    assert releases[0] == "[Unreleased]"
    for heading in releases[1:]:
        assert re.fullmatch(r"\[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}", heading), heading
    sections = re.findall(r"^### (.+)$", text, re.M)
    assert sections and set(sections) <= SECTIONS, sections
    for release in re.split(r"^## ", text, flags=re.M)[1:]:
        names = re.findall(r"^### (.+)$", release, re.M)
        assert len(names) == len(set(names)), f"a section repeats in {release.splitlines()[0]}"
    for name in releases:
        label = name.split(" ")[0]
        assert re.search(rf"^{re.escape(label)}: https?://", text, re.M), f"no link for {label}"
