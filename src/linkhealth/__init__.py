"""linkhealth: link-health and metadata crawler for Markdown link lists."""

# The one place the version is written: pyproject.toml reads it from here
# ([tool.hatch.version]). A literal, not importlib.metadata, which costs every
# command (``--version`` and ``lint`` included) a tenth of a second at start-up.
__version__ = "0.1.0"

__all__ = ["__version__"]
