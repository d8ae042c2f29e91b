"""Domain errors. The library raises these; only the CLI turns them into messages and exits."""

from __future__ import annotations


class LinkhealthError(Exception):
    """Base of every error linkhealth raises on purpose."""


class InputError(LinkhealthError):
    """The user's input cannot be read: a missing path, an unreadable or non-UTF-8 file."""


class ConfigError(LinkhealthError):
    """A configuration file, flag or environment value is not valid."""


class StoreError(LinkhealthError):
    """The store cannot be opened or written."""


class ReportWriteError(LinkhealthError):
    """A report could not be written; the previous file is intact."""
