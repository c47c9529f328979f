"""One agency's records: headings mapped to fields, every cell checked, events normalised.

Checks run over the distinct values of a column rather than cell by cell, so a 10,000-row export
costs as many date parses as it has different date spellings.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from .dates import TimeError, parse_time, read_dates
from .distinct import Column, bulk, constant
from .fields import BY_NAME, FIELD_NAMES, FIELDS, KINDS, field_for_heading
from .problems import Problem, Severity
from .reading import RawTable, read_table

#: Columns of an events frame, in order; ``extras`` holds unmapped columns as a dict per row.
EVENT_COLUMNS = (
    "id", "agency", "code", "file", "row", "ref", "date_text", "date_start", "date_end",
    "precision", "qualifier", "time", "end_date", "source", "event", "action", "significance",
    "kind", "comment", "extras", "in_period",
)

_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_NOT_ID = re.compile(r"[^A-Za-z0-9]+")
_NONE = np.zeros(0, dtype=np.intp)
#: The extras of a row with none: one shared, read-only mapping rather than a dict per row.
NO_EXTRAS: Mapping[str, str] = MappingProxyType({})


@dataclass
class Source:
    """How to read one agency's file: declared once in review.toml, used by every command."""

    path: Path
    agency: str
    code: str = ""
    encoding: str | None = None
    sheet: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    source: str | None = None  # constant "source of information" when the file has no column

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.code:
            self.code = agency_code(self.agency)


def agency_code(agency: str) -> str:
    """Three capitals for an agency's event IDs, e.g. "Northshire Probation" -> "NOR"."""
    letters = re.sub(r"[^A-Za-z]", "", agency).upper()
    return (letters[:3] or "AGY").ljust(3, "X")


@dataclass
class AgencyRecords:
    """One agency's events, as columns (what :func:`merge` works on) and as a frame."""

    source: Source
    #: The columns whose rows differ; each of the rest is in ``constants``.
    columns: dict[str, np.ndarray]
    problems: list[Problem]
    #: The columns in which every row holds one object (the agency's code, a field the file does
    #: not have), by name: kept once, and filled in by merge, rather than row by row.
    constants: dict[str, object] = field(default_factory=dict)

    @cached_property
    def events(self) -> pd.DataFrame:
        """The events as a frame of their own: the columns are copied, since merge reads them,
        so a change made to the frame in place must not reach the merged chronology."""
        return frame({name: self.columns[name].copy() if name in self.columns
                      else constant(self.constants[name], len(self)) for name in EVENT_COLUMNS})

    def __len__(self) -> int:
        return len(self.columns["id"])

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def load(source: Source, *, period: tuple[date, date] | None = None,
         base: Path | None = None) -> AgencyRecords:
    """Read, check and normalise one agency's file. Problems are returned, not raised."""
    with bulk():
        return _load(source, period, base)


def _load(source: Source, period: tuple[date, date] | None, base: Path | None) -> AgencyRecords:
    table = read_table(source.path, encoding=source.encoding, sheet=source.sheet,
                       overrides=source.columns, base=base)
    problems = table.problems
    if any(p.is_error for p in problems) and not len(table.rows):
        return AgencyRecords(source, _no_events(), problems)
    mapping = _map_headings(table, source)
    if mapping is None:
        return AgencyRecords(source, _no_events(), table.problems)
    columns, constants = _normalise(table, source, mapping, period)
    return AgencyRecords(source, columns, _in_reading_order(table.problems), constants)


def _in_reading_order(problems: list[Problem]) -> list[Problem]:
    """File-wide problems first, then row by row, as a reviewer works down the sheet."""
    return sorted(problems, key=lambda p: -1 if p.row is None else p.row)


def empty_events() -> pd.DataFrame:
    return frame(_no_events())


def _no_events() -> dict[str, np.ndarray]:
    return {**{c: np.zeros(0, dtype=object) for c in EVENT_COLUMNS},
            "_day": np.zeros(0, dtype=np.int64), "_minute": np.zeros(0, dtype=np.int64)}


def frame(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """An events frame from its columns; those named with a leading "_" are sort keys, left out."""
    # Series with an explicit dtype: pandas 3 would otherwise scan every text column to decide
    # whether to convert it to its string dtype, which costs more than building the frame.
    return pd.DataFrame({name: pd.Series(values, dtype=values.dtype, copy=False)
                         for name, values in columns.items() if name[0] != "_"}, copy=False)


def _map_headings(table: RawTable, source: Source) -> dict[str, int] | None:
    mapping: dict[str, int] = {}
    for index, heading in enumerate(table.headings):
        if not heading:
            continue
        name = field_for_heading(heading, source.columns)
        if name is None:
            continue
        if name in mapping:
            first = table.headings[mapping[name]]
            message = (f'two columns are headed "{heading}".' if first == heading else
                       f'the columns "{first}" and "{heading}" both mean '
                       f'"{BY_NAME[name].label}".')
            table.problem("heading-duplicate", message,
                          "Rename or delete one of them, or map them in review.toml.",
                          row=table.heading_row, column=heading)
            continue
        mapping[name] = index
    seen: dict[str, int] = {}
    for index, heading in enumerate(table.headings):
        if heading and heading in seen and field_for_heading(heading, source.columns) is None:
            table.problem("heading-duplicate", f'two columns are headed "{heading}".',
                          "Give each column its own heading.", row=table.heading_row,
                          column=heading)
        seen.setdefault(heading, index)
    missing = [f for f in FIELDS if f.mandatory and f.name not in mapping
               and not (f.name == "source" and source.source)]
    for fld in missing:
        accepted = ", ".join(f'"{s}"' for s in fld.synonyms[:4])
        hint = f"Add a column headed {accepted} or similar, or map an existing heading in review.toml."
        if fld.name == "source":
            hint += " If every row has the same source, set source = \"...\" for this file."
        table.problem("column-missing", f'no column gives the "{fld.label}".', hint,
                      row=table.heading_row)
    if any(p.code in ("column-missing", "heading-duplicate") and p.is_error
           for p in table.problems):
        return None
    return mapping


def _normalise(table: RawTable, source: Source, mapping: dict[str, int],
               period: tuple[date, date] | None) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Check every cell and build the events' columns, and say which hold one value throughout.

    Each check runs once per distinct value of its column (see :mod:`chronology.distinct`);
    rows are visited one by one only to report a problem.
    """
    rows = table.rows
    n = len(rows)
    blank = constant("", n)
    columns: dict[str, np.ndarray | None] = {name: table.stripped[mapping[name]]
                                             if name in mapping else blank
                                             for name in FIELD_NAMES}
    heading = {name: table.headings[i] for name, i in mapping.items()}

    def report(code: str, message: str, hint: str, positions: np.ndarray, name: str,
               severity: Severity = Severity.ERROR) -> None:
        column = heading.get(name, name)
        for i in positions.tolist():
            table.problem(code, message, hint, row=int(rows[i]), column=column,
                          severity=severity)

    read = read_dates(columns["date"])
    for i, error in read.errors.items():
        if error.text:
            report("date-invalid", str(error), error.hint, np.array([i]), "date")
        else:
            report("date-missing", 'the "Date" is empty.', error.hint, np.array([i]), "date")
    dated = read.ok
    start_days = read.start_day
    end_days = read.end_day
    date_texts = columns["date"]

    times = blank
    minutes = np.full(n, -1, dtype=np.int64)  # -1: no time, so sorted before any time
    if "time" in mapping:
        column = Column(columns["time"])
        found = [_read_time(text) for text in column.uniques.tolist()]
        if any(isinstance(f, TimeError) for f in found):
            for code, where in column.positions().items():
                if isinstance(found[code], TimeError):
                    error = found[code]
                    report("time-invalid", str(error), error.hint, where, "time")
        times = _spread(column, ["" if isinstance(f, TimeError) else f for f in found])
        minutes = _spread(column, [int(f[:2]) * 60 + int(f[3:]) if f and isinstance(f, str)
                                   else -1 for f in found], np.int64)

    end_dates = None  # no end date column: None on every row, kept once as a constant
    if "end_date" in mapping:
        end_dates = constant(None, n)
        texts = columns["end_date"]
        ends = read_dates(texts)
        given = texts != ""  # a blank end date is no end date, not an error
        for i, error in ends.errors.items():
            if given[i]:
                report("date-invalid", str(error), error.hint, np.array([i]), "end_date")
        has_end = ends.ok & given
        end_dates[has_end] = ends.end[has_end]
        last_days = ends.end_day
        for i in np.flatnonzero(has_end & dated & (last_days < start_days)):
            report("end-before-start", f'the end date "{texts[i]}" is before the date '
                   f'"{date_texts[i]}".', "Swap the two dates or correct one of them.",
                   np.array([i]), "end_date")

    if source.source and "source" not in mapping:
        columns["source"] = None  # the same on every row: kept once, as a constant
    else:
        report("source-missing", 'the "Source of information" is empty.',
               "Say where this comes from: the record and the practitioner's role, for example "
               '"Case notes, probation officer".', np.flatnonzero(columns["source"] == ""),
               "source")
    report("event-missing", 'the "Event" is empty.', "Say what happened, in one entry per event.",
           np.flatnonzero(columns["event"] == ""), "event")

    kinds = blank
    if "kind" in mapping:
        column = Column(columns["kind"])
        lowered = [t.lower() for t in column.uniques.tolist()]
        unknown = {code for code, low in enumerate(lowered) if low and low not in KINDS}
        if unknown:
            where = column.positions()
            for code in sorted((c for c in unknown if c in where),
                               key=lambda c: column.uniques[c]):
                report("kind-unknown", f'"{column.uniques[code]}" is not a kind of information.',
                       f"Use one of: {', '.join(KINDS)}; or leave the cell empty.", where[code],
                       "kind")
        kinds = _spread(column, [low if low in KINDS else "" for low in lowered])

    refs = columns["ref"].tolist()
    joined = "\n".join(refs)
    numbers = _Numbers.read(joined, n)
    refs_unique = (numbers is not None and numbers.all_different()) or len(set(refs)) == n
    if not refs_unique:  # some reference is used twice, or more than one row has none
        first_use: dict[str, int] = {}
        for i, ref in enumerate(refs):
            if ref and first_use.setdefault(ref, i) != i:
                report("ref-duplicate", f'the reference "{ref}" is also used on row '
                       f"{rows[first_use[ref]]}.", "Give each row its own reference.",
                       np.array([i]), "ref")

    # One search of the file spares looking at each cell: most files have neither "=" nor "<".
    if table.may_contain("=<"):
        for name in ("event", "action", "comment", "source"):
            if columns[name] is None:  # a constant given in review.toml, not the file's text
                continue
            formulas, markup = _formulas_and_markup(columns[name])
            report("formula-text", 'the cell starts with "=" and would run as a formula in Excel; '
                   "it is kept as text.", 'Remove the "=" if it is not meant.', formulas, name,
                   Severity.WARNING)
            report("markup-text", "the cell contains markup such as <b> or <script>; it is shown as "
                   "written, never run.", "Remove the markup if it is not meant.", markup, name,
                   Severity.WARNING)

    in_period = np.ones(n, dtype=bool)
    if period is not None:
        first_day, last_day = period
        outside = dated & ((end_days < first_day.toordinal()) |
                           (start_days > last_day.toordinal()))
        in_period = ~outside
        for i in np.flatnonzero(outside).tolist():
            report("outside-period", f'"{date_texts[i]}" is outside the terms-of-reference '
                   f"period ({first_day:%d/%m/%Y} to {last_day:%d/%m/%Y}); the event is kept "
                   "but left out of the chronology.", "Check the date, or show it by asking "
                   "for events outside the period.", np.array([i]), "date", Severity.WARNING)

    extra_columns = [i for i in range(len(table.headings))
                     if i not in mapping.values() and table.headings[i]]
    extras = None  # no extra columns: the one shared empty mapping, kept once as a constant
    if extra_columns:
        names = [table.headings[i] for i in extra_columns]
        values = zip(*(table.columns[i].tolist() for i in extra_columns), strict=True)
        extras = _array([{k: v for k, v in zip(names, row, strict=True) if v.strip()}
                         for row in values])
    agencies = None
    if "agency" in mapping:
        named = columns["agency"]
        agencies = np.where(named == "", source.agency, named)

    ids = _event_ids(source.code, refs, joined, numbers, refs_unique, date_texts, times,
                     columns["event"])
    data = {
        "id": ids, "agency": agencies, "code": None, "file": None, "row": rows.astype(np.int64),
        "ref": columns["ref"], "date_text": date_texts,
        "date_start": read.start, "date_end": read.end,
        "precision": read.precision, "qualifier": read.qualifier,
        "time": times, "end_date": end_dates, "source": columns["source"],
        "event": columns["event"], "action": columns["action"],
        "significance": columns["significance"], "kind": kinds,
        "comment": columns["comment"], "extras": extras, "in_period": in_period,
        # Not shown: whole numbers that merge sorts on, far faster than dates and text.
        "_day": start_days, "_minute": minutes,
    }
    # Columns that hold one value throughout are kept once, as that value, not a row at a time.
    fixed = {"agency": source.agency, "code": source.code, "file": table.name, "end_date": None,
             "extras": NO_EXTRAS, "source": source.source}
    constants = {name: value for name, value in fixed.items() if data[name] is None}
    constants.update((name, "") for name, values in data.items() if values is blank)
    data = {k: v for k, v in data.items() if k not in constants}
    # Rows whose date could not be read cannot be placed in time: they are reported, not kept.
    if not dated.all():
        data = {k: v[dated] for k, v in data.items()}
    return data, constants


def _array(items: list) -> np.ndarray:
    return np.fromiter(items, dtype=object, count=len(items))


def _spread(column: Column, answers: list, dtype=object) -> np.ndarray:
    """Answers given once per distinct value of ``column``, one per row."""
    return np.fromiter(answers, dtype=dtype, count=len(answers))[column.codes]


def _read_time(text: str) -> str | TimeError:
    if not text:
        return ""
    try:
        return parse_time(text).strftime("%H:%M")
    except TimeError as exc:
        return exc


def _formulas_and_markup(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of cells that start with "=", and of cells with markup that do not."""
    joined = "\x00" + "\x00".join(cells.tolist())
    # Most columns have neither: one search of the joined text then spares a look at each cell.
    if "\x00=" not in joined and "<" not in joined:
        return _NONE, _NONE
    formula = np.fromiter((c[:1] == "=" for c in cells.tolist()), bool, len(cells))
    markup = np.fromiter(("<" in c and _MARKUP.search(c) is not None for c in cells.tolist()),
                         bool, len(cells))
    return np.flatnonzero(formula), np.flatnonzero(markup & ~formula)


@dataclass(frozen=True)
class _Numbers:
    """A file's references when every one is a whole number in ASCII digits, the usual export.

    Read from the references' bytes with numpy, which spares looking at each one in Python.
    """

    values: np.ndarray  # each reference as a number
    lengths: np.ndarray  # its count of digits
    leading_zero: bool  # some reference starts with 0: "07", or "0" itself

    @classmethod
    def read(cls, joined: str, count: int) -> _Numbers | None:
        """``joined`` is the ``count`` references joined by "\\n"; None unless each is 1 to 18
        ASCII digits (more would not fit in a 64-bit number)."""
        if not count or not joined.isascii():
            return None
        codes = np.frombuffer(joined.encode("ascii"), np.uint8)
        breaks = np.flatnonzero(codes == 10)
        if len(breaks) != count - 1:  # a reference holds a line break
            return None
        starts = np.concatenate([[0], breaks + 1])
        lengths = np.diff(np.append(starts, len(codes) + 1)) - 1
        digits = codes - 48  # a line break wraps round to 218, as any other byte but 0-9 does
        digits[breaks] = 0
        if lengths.min() < 1 or lengths.max() > 18 or (digits > 9).any():
            return None
        # Digit by digit from the left, all references at once; a shorter one is left as it is.
        values = np.zeros(count, dtype=np.int64)
        for place in range(int(lengths.max())):
            digit = digits[np.minimum(starts + place, len(codes) - 1)]
            values = np.where(lengths > place, values * 10 + digit, values)
        return cls(values, lengths, bool((codes[starts] == 48).any()))

    def all_different(self) -> bool:
        """Whether no number is used twice; exports usually number rows in order."""
        if (np.diff(self.values) > 0).all():
            return True
        ordered = np.sort(self.values)
        return bool((ordered[1:] != ordered[:-1]).all())


def _ref_key(ref: str) -> str | None:
    """The part of an event ID taken from the agency's own reference; None when there is none."""
    if ref.isdigit():
        return ref.zfill(3)
    if ref:
        return _NOT_ID.sub("-", ref).strip("-")
    return None


def _event_ids(code: str, refs: list[str], joined: str, numbers: _Numbers | None,
               refs_unique: bool, dates: np.ndarray, times: np.ndarray,
               events: np.ndarray) -> np.ndarray:
    """IDs that stay the same when other rows are added, removed or reordered.

    The agency's own reference is used when given (recommended: IDs then survive edits to the
    text as well); otherwise a short hash of the date, time and event text. ``joined`` is the
    references joined by "\\n", and ``numbers`` them as numbers if they all are.
    """
    prefix = f"{code}-"
    if numbers is not None and "\n" not in prefix:  # the usual case: "7" -> "POL-007"
        # Made by one split in C rather than a string at a time, then the few short numbers
        # padded.
        ids = (prefix + joined.replace("\n", "\n" + prefix)).split("\n")
        for i in np.flatnonzero(numbers.lengths < 3).tolist():
            ids[i] = prefix + refs[i].zfill(3)
        # Different numbers stay different once padded, unless one was written with a 0 first.
        if refs_unique and not numbers.leading_zero:
            return _array(ids)
    else:
        keys = list(map(_ref_key, refs))
        for i in [i for i, key in enumerate(keys) if key is None]:
            text = " ".join(events[i].split())
            keys[i] = hashlib.sha1(f"{dates[i]}|{times[i]}|{text}".encode()).hexdigest()[:5]
        ids = list(map(prefix.__add__, keys))
    if len(set(ids)) < len(ids):
        used: dict[str, int] = {}
        for i, candidate in enumerate(ids):
            count = used.get(candidate, 0)
            used[candidate] = count + 1
            if count:
                ids[i] = f"{candidate}.{count + 1}"
    return _array(ids)
