"""Escaping per output format: the rules live in :mod:`linkhealth.textsafe`.

This name stays for code written against it; import from :mod:`linkhealth.textsafe`.
"""

from linkhealth.textsafe import (
    CSV_CELL_LIMIT,
    clean,
    csv_cell,
    gh_data,
    gh_property,
    html_text,
    json_text,
    md_link,
    md_text,
    md_url,
    one_line,
    shorten,
    terminal,
    terminal_escape,
    xml_text,
)

__all__ = [
    "CSV_CELL_LIMIT",
    "clean",
    "csv_cell",
    "gh_data",
    "gh_property",
    "html_text",
    "json_text",
    "md_link",
    "md_text",
    "md_url",
    "one_line",
    "shorten",
    "terminal",
    "terminal_escape",
    "xml_text",
]
