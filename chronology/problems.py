"""Problems found in user input, and the one exception family that carries them.

Every check in casereview collects all the problems it finds before stopping (as bagit's
validation does), so a reviewer fixes a file in one pass instead of one error at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding: where it is, a short code, what is wrong and how to fix it."""

    code: str
    message: str
    path: str | None = None
    row: int | None = None
    column: str | None = None
    hint: str = ""
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        """FILE:ROW:COLUMN, as far as known; empty for a problem of no one file, such as
        LaTeX not being installed."""
        if not self.path and self.row is None and self.column is None:
            return ""
        parts = [self.path or "<input>"]
        if self.row is not None:
            parts.append(str(self.row))
        if self.column is not None:
            parts.append(self.column)
        return ":".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where + ': ' if where else ''}{self.severity.value} [{self.code}] {self.message}"
        if self.hint:
            text += f" {self.hint}"
        return text


class CaseReviewError(Exception):
    """Base class of every error casereview reports to a user.

    Carries the problems found so that callers (the CLI, the Sphinx extension) can show all of
    them; the library never prints or exits.
    """

    exit_code = 1

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(code="error", message=problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.format())

    def format(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class InputError(CaseReviewError):
    """A file a user gave us cannot be used as it is."""


def display_path(path: Path | str, base: Path | None = None) -> str:
    """Name a file the way the user is likely to recognise it (relative where possible), with
    any line break or other control character in the name shown as an escape ("\\n"), so
    that a message stays on one line."""
    path = Path(path)
    resolved = path.resolve()
    for root in (base, Path.cwd()):
        if root is None:
            continue
        try:
            return _printable(resolved.relative_to(root.resolve()).as_posix())
        except ValueError:
            continue
    return _printable(path.as_posix())


def _printable(name: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m[0])[1:-1], name)
