"""casereview: docs-as-code toolkit for child-safeguarding case reviews."""

__version__ = "0.1.0"
