"""Coverage-guided fuzzing (atheris) of the Markdown parser and the metadata extractor.

Not part of the test suite (the name does not start with ``test_``). Run for a fixed time:

    .venv/bin/pip install atheris
    .venv/bin/python tests/faults/fuzz_parse_meta.py parse -max_total_time=120
    .venv/bin/python tests/faults/fuzz_parse_meta.py meta -max_total_time=120

Properties: ``extract_text`` never raises and every one-line span slices back to the
text it reports; ``extract_meta`` never raises on any bytes and any content type, and its
text fields hold no control character. A crash leaves ``crash-*`` with the input.
"""

from __future__ import annotations

import re
import sys

import atheris

with atheris.instrument_imports():
    from linkhealth.config import CommentMode
    from linkhealth.meta import extract_meta
    from linkhealth.parse import extract_text
    from linkhealth.parse.source import normalise_newlines

MODES = list(CommentMode)
TYPES = [
    None,
    "text/html",
    "text/html; charset=utf-7",
    "application/xhtml+xml",
    "text/plain",
    "application/pdf",
    "text/html; charset=utf-16",
    "text/html; charset=x",
]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def fuzz_parse(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = MODES[fdp.ConsumeIntInRange(0, len(MODES) - 1)]
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    result = extract_text(text, "f.md", comments=mode)
    lines = normalise_newlines(text).split("\n")
    for occ in result.occurrences:
        assert 1 <= occ.line <= occ.end_line <= len(lines), occ
        if occ.line == occ.end_line:
            written = lines[occ.line - 1][occ.column - 1 : occ.end_column - 1]
            assert written, occ


def fuzz_meta(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    content_type = TYPES[fdp.ConsumeIntInRange(0, len(TYPES) - 1)]
    body = fdp.ConsumeBytes(fdp.remaining_bytes())
    meta = extract_meta(body, content_type, "https://example.com/page")
    for value in (meta.title, meta.description, meta.site_name):
        assert value is None or CONTROL.search(value) is None, value


if __name__ == "__main__":
    target = {"parse": fuzz_parse, "meta": fuzz_meta}[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
