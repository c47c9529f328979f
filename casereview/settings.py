"""Reading a settings file (review.toml, case.toml, a review type's file) so that every problem is
found at once, each with its file, line and key, and said in words a reviewer editing the file by
hand can act on.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from chronology.problems import InputError, Problem, Severity, display_path
from chronology.reading import detect_encoding

#: Each declared key: (kind, required, what it is, example line). The descriptions go into
#: messages, prompts and the reference pages, so a setting is described once.
Spec = dict[str, tuple[type, bool, str, str]]


class ConfigError(InputError):
    """review.toml is missing, unreadable or has wrong values."""


# An empty marking means none on public documents; an empty placeholder, a section with none.
MAY_BE_EMPTY = {"public_marking", "placeholder"}
TYPE_NAMES = {str: "text in double quotes", date: "a date such as 2016-09-12 (no quotes)",
               int: "a whole number", dict: "a table in braces", list: "a list",
               bool: "true or false (no quotes)"}



class Checker:
    def __init__(self, path: Path, text: str, base: Path | None,
                 known_tables: set[str] | None = None, strict: bool = False):
        self.known_tables = known_tables or set()
        # In a file a board writes once and many cases follow (a review type), a misspelt key
        # silently changing the rules is worse than a refusal, so every unknown key is an error.
        self.strict = strict
        self.name = display_path(path, base)
        self.lines = text.splitlines()
        self.problems: list[Problem] = []

    def line_of(self, key: str, table: str | None = None, nth: int = 0) -> int | None:
        """Best-effort line of ``key`` (in ``[table]`` or the nth ``[[table]]``), for messages."""
        start = 0
        if table is not None:
            pattern = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
            hits = [i for i, line in enumerate(self.lines) if pattern.match(line)]
            if len(hits) <= nth:
                return None
            start = hits[nth]
        key_pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
        for i in range(start + (1 if table else 0), len(self.lines)):
            line = self.lines[i]
            if i > start and table and line.lstrip().startswith("["):
                break
            if table is None and line.lstrip().startswith("["):
                break
            if key_pattern.match(line):
                return i + 1
        return start + 1 if table is not None else None

    def add(self, code: str, key: str, message: str, hint: str = "", *, table: str | None = None,
            nth: int = 0, severity: Severity = Severity.ERROR) -> None:
        self.problems.append(Problem(code, message, self.name, self.line_of(key, table, nth),
                                     key if table is None else f"{table}.{key}", hint, severity))

    def values(self, data: dict[str, Any], spec: dict[str, tuple[type, bool, str, str]], *,
               table: str | None = None, label: str = "", nth: int = 0) -> dict[str, Any]:
        found: dict[str, Any] = {}
        where = f" under [{label or table}]" if table else ""
        for key, (kind, required, what, example) in spec.items():
            if key not in data:
                if required:
                    self.add("key-missing", key, f'"{key}" is missing{where}: {what}.',
                             f"Add a line such as {example}", table=table, nth=nth)
                continue
            value = data[key]
            if kind is date and isinstance(value, str):
                self.add("date-invalid", key, f'"{key}" = "{value}" is not a date in the form '
                         "review.toml needs.", f"Write it as YYYY-MM-DD without quotes, as in "
                         f"{example}", table=table, nth=nth)
                continue
            ok = isinstance(value, kind) and not (kind is date and hasattr(value, "hour")) and \
                not (kind is int and isinstance(value, bool))
            if not ok:
                self.add("key-type", key, f'"{key}" should be {TYPE_NAMES[kind]}.',
                         f"For example: {example}", table=table, nth=nth)
                continue
            if kind is str and not value.strip() and key not in MAY_BE_EMPTY:
                self.add("key-empty", key, f'"{key}" is empty: {what}.',
                         f"Fill it in, as in {example}", table=table, nth=nth)
                continue
            found[key] = value
        for key in data:
            if key in spec or (table is None and key in self.known_tables):
                continue
            if table is not None or not isinstance(data[key], dict | list):
                self.add("key-unknown", key, f'"{key}" is not a setting casereview knows{where}.',
                         did_you_mean(key, spec), table=table, nth=nth,
                         severity=Severity.ERROR if self.strict or table in ("people", "agencies") else
                         Severity.WARNING)
        return found


def did_you_mean(key: str, spec: dict) -> str:
    close = difflib.get_close_matches(key, list(spec), n=1)
    if close:
        return f'Did you mean "{close[0]}"? Correct the spelling, or remove the line.'
    return "Check the spelling, or remove the line."


def read_settings(path: Path, base: Path | None,
                   known_tables: set[str] | None = None, *,
                  strict: bool = False) -> tuple[Checker, dict[str, Any]]:
    """A settings file's text and values; an unreadable file raises :class:`ConfigError`."""
    data = path.read_bytes()
    try:
        # Notepad saves as "ANSI" (Windows-1252) or "Unicode" (UTF-16) as readily as UTF-8.
        text = data.decode(detect_encoding(data)).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError([Problem("encoding", f"the file cannot be read as text (a character on "
                                   f"line {line} cannot be read).", display_path(path, base),
                                   line, hint="Open it in Notepad and save it again with the "
                                   "encoding UTF-8.")]) from None
    checker = Checker(path, text, base, known_tables, strict)
    try:
        return checker, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(exc, checker)]) from None


def checked_tables(data: dict[str, Any], specs: dict[str, dict], checker: Checker,
            given: dict[str, dict] | None = None) -> dict[str, dict[str, Any]]:
    """Each [table]'s checked values; ``given`` holds tables taken from the case instead."""
    tables: dict[str, dict[str, Any]] = {}
    for name, spec in specs.items():
        if given and name in given:
            tables[name] = given[name]
            continue
        section = data.get(name, {})
        if not isinstance(section, dict):
            checker.add("key-type", name, f'"{name}" should be a table ([{name}]).')
            section = {}
        if not section and any(required for _, required, _, _ in spec.values()):
            first = next(iter(spec.values()))
            checker.add("key-missing", name, f'the [{name}] table is missing.',
                        f"Add [{name}] with a line such as {first[3]}")
            tables[name] = {}
            continue
        tables[name] = checker.values(section, spec, table=name)
    return tables


def _syntax_problem(exc: tomllib.TOMLDecodeError, checker: Checker) -> Problem:
    found = re.search(r"line (\d+)", str(exc))
    line = int(found[1]) if found else None
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
    text = checker.lines[line - 1] if line and line <= len(checker.lines) else ""
    # tomllib reports an impossible date such as 2016-13-02 as a syntax error; say what it is.
    for written in re.findall(r"\b\d{4}-\d{1,2}-\d{1,2}\b", text):
        try:
            date.fromisoformat(written)
        except ValueError:
            return Problem("date-invalid", f"{written} is not a real date.", checker.name, line,
                           hint="Dates are written YYYY-MM-DD, as in 2016-09-12.")
    return Problem("toml-syntax", f"the file cannot be read: {message}.", checker.name, line,
                   hint="Check quotes, brackets and dates on that line; dates are written "
                   "2016-09-12.")


def array(data: dict[str, Any], key: str, checker: Checker, example: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        checker.add("key-type", key, f'"{key}" should be a list of [[{key}]] tables, one for each '
                    f"entry.", f"Write each entry as {example}.")
        return []
    return value
