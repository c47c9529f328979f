"""One agency's records: headings mapped to fields, every cell checked, events normalised.

Agency exports repeat themselves (a few hundred date spellings, a handful of sources, kinds and
times), so each check runs once per distinct value of its column and the answer is spread back
over the rows: a 10,000-row export costs as many date readings as it has date spellings.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .dates import TimeError, parse_time, read_dates
from .fields import BY_NAME, FIELD_NAMES, FIELDS, KINDS, field_for_heading, normalise_heading
from .problems import Problem, Severity
from .reading import RawTable, read_table

#: Columns of an events frame, in order; ``extras`` holds unmapped columns as a dict per row.
EVENT_COLUMNS = (
    "id", "agency", "code", "file", "row", "ref", "date_text", "date_start", "date_end",
    "precision", "qualifier", "time", "end_date", "source", "event", "action", "significance",
    "kind", "comment", "extras", "in_period",
)
#: The columns that hold numbers or flags; every other column holds Python objects (text,
#: dates, dicts), never pandas' own string type, so a cell is the str the agency wrote.
_COLUMN_TYPES = {"row": np.int64, "precision": np.int64, "in_period": bool}

_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_NOT_ID = re.compile(r"[^A-Za-z0-9]+")


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


class AgencyRecords:
    """One agency's events, in the order of its file, and the problems found in it."""

    def __init__(self, source: Source, events: pd.DataFrame, problems: list[Problem]):
        self.source = source
        self._events = events
        self.problems = problems

    @property
    def events(self) -> pd.DataFrame:
        """The events as a frame of their own. pandas copies a column of it before a change made
        in place (copy-on-write), so the change cannot reach these records or a merge of them."""
        return self._events.copy(deep=False)

    def __len__(self) -> int:
        return len(self._events)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def load(source: Source, *, period: tuple[date, date] | None = None,
         base: Path | None = None) -> AgencyRecords:
    """Read, check and normalise one agency's file. Problems are returned, not raised."""
    table = read_table(source.path, encoding=source.encoding, sheet=source.sheet,
                       overrides=source.columns, base=base)
    if any(p.is_error for p in table.problems) and not len(table.rows):
        return AgencyRecords(source, empty_events(), _in_reading_order(table.problems))
    mapping, complete = _map_headings(table, source)
    # Every column there is is checked, even with one missing, so that an agency fixes its
    # file in one pass; events are made only from a file with every column they need.
    events = _normalise(table, source, mapping, period)
    if not complete:
        events = empty_events()
    return AgencyRecords(source, events, _in_reading_order(table.problems))


def _in_reading_order(problems: list[Problem]) -> list[Problem]:
    """File-wide problems first, then row by row, as a reviewer works down the sheet."""
    return sorted(problems, key=lambda p: -1 if p.row is None else p.row)


def empty_events() -> pd.DataFrame:
    return frame({name: [] for name in EVENT_COLUMNS})


def frame(columns: dict[str, object]) -> pd.DataFrame:
    """An events frame from its columns, each of its declared type."""
    return pd.DataFrame({name: pd.Series(values, dtype=_COLUMN_TYPES.get(name, object))
                         for name, values in columns.items()})


def _map_headings(table: RawTable, source: Source) -> tuple[dict[str, int], bool]:
    """Each field's column, and whether every column an event needs is there."""
    headings = ", ".join(f'"{h}"' for h in table.headings if h)
    for written, name in source.columns.items():
        if name not in BY_NAME:
            table.problem("column-field-unknown", f'the heading "{written}" is mapped to "{name}", '
                          "which is not a field of a chronology.",
                          f"Map it to one of: {', '.join(FIELD_NAMES)}.", row=table.heading_row)
        elif not any(normalise_heading(h) == normalise_heading(written) for h in table.headings):
            table.problem("column-unknown", f'the heading "{written}" is mapped to "{name}", but '
                          f"the file has no such heading; its headings are {headings}.",
                          "Correct the heading in the mapping, or remove it.",
                          row=table.heading_row)
    mapping: dict[str, int] = {}
    for index, heading in enumerate(table.headings):
        if not heading:
            continue
        name = field_for_heading(heading, source.columns)
        if name not in BY_NAME:
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
        table.problem("column-missing", f'no column gives the "{fld.label}"; the file\'s '
                      f"headings are {headings}.", hint, row=table.heading_row)
    return mapping, not missing


def _normalise(table: RawTable, source: Source, mapping: dict[str, int],
               period: tuple[date, date] | None) -> pd.DataFrame:
    """Check every cell and build the events; rows whose date cannot be read are reported and
    left out, since they cannot be placed in time."""
    rows = table.rows
    n = len(rows)
    blank = np.full(n, "", dtype=object)
    cells = {name: table.stripped[mapping[name]] if name in mapping else blank
             for name in FIELD_NAMES}
    heading = {name: table.headings[i] for name, i in mapping.items()}

    def report(code: str, message: str, hint: str, positions, name: str,
               severity: Severity = Severity.ERROR) -> None:
        for i in np.asarray(positions, dtype=np.intp).tolist():
            table.problem(code, message, hint, row=int(rows[i]), column=heading.get(name, name),
                          severity=severity)

    # A date cell may give the time of day too, as Excel writes a date-and-time cell.
    date_and_time = _each_distinct(cells["date"], _date_and_time)
    date_texts = np.array([written for written, _ in date_and_time], dtype=object)
    read = read_dates(date_texts)
    if "date" in mapping:
        for i, error in read.errors.items():
            if error.text:
                report("date-invalid", str(error), error.hint, [i], "date")
            else:
                report("date-missing", 'the "Date" is empty.', error.hint, [i], "date")
    dated = read.ok

    times = _times(cells["time"] if "time" in mapping else blank, report, "time")
    stated = _times(np.array([stated for _, stated in date_and_time], dtype=object), report,
                    "date")
    for i in np.flatnonzero(stated != ""):
        if times[i] and times[i] != stated[i]:
            report("time-conflict", f'the date gives the time {stated[i]} but the "Time" is '
                   f'{times[i]}; the "Time" is used.', "Correct whichever is wrong.", [i], "date",
                   Severity.WARNING)
        elif not times[i]:
            times[i] = stated[i]

    end_dates = np.full(n, None, dtype=object)
    if "end_date" in mapping:
        texts = cells["end_date"]
        ends = read_dates(texts)
        given = texts != ""  # a blank end date is no end date, not an error
        for i, error in ends.errors.items():
            if given[i]:
                report("date-invalid", str(error), error.hint, [i], "end_date")
        has_end = ends.ok & given
        end_dates[has_end] = ends.end[has_end]
        for i in np.flatnonzero(has_end & dated & (ends.end_day < read.start_day)):
            report("end-before-start", f'the end date "{texts[i]}" is before the date '
                   f'"{date_texts[i]}".', "Swap the two dates or correct one of them.", [i],
                   "end_date")

    sources = cells["source"]
    if source.source and "source" not in mapping:
        sources = np.full(n, source.source, dtype=object)
    elif "source" in mapping:
        report("source-missing", 'the "Source of information" is empty.',
               "Say where this comes from: the record and the practitioner's role, for example "
               '"Case notes, probation officer".', np.flatnonzero(sources == ""), "source")
    if "event" in mapping:
        report("event-missing", 'the "Event" is empty.', "Say what happened, in one entry per "
               "event.", np.flatnonzero(cells["event"] == ""), "event")

    kinds = blank
    if "kind" in mapping:
        lowered = _each_distinct(cells["kind"], str.lower)
        unknown = (lowered != "") & ~np.isin(lowered, KINDS)
        for i in np.flatnonzero(unknown):
            report("kind-unknown", f'"{cells["kind"][i]}" is not a kind of information.',
                   f"Use one of: {', '.join(KINDS)}; or leave the cell empty.", [i], "kind")
        kinds = np.where(unknown, "", lowered)

    refs = cells["ref"]
    repeated = pd.Series(refs).duplicated().to_numpy() & (refs != "")
    if repeated.any():
        first_row = dict(zip(refs[::-1].tolist(), rows[::-1].tolist(), strict=True))
        for i in np.flatnonzero(repeated):
            report("ref-duplicate", f'the reference "{refs[i]}" is also used on row '
                   f"{first_row[refs[i]]}.", "Give each row its own reference.", [i], "ref")

    for name, texts in (("event", cells["event"]), ("action", cells["action"]),
                        ("comment", cells["comment"]), ("source", sources)):
        if name == "source" and "source" not in mapping:
            continue  # a constant given in review.toml, not the file's text
        looks = _each_distinct(texts, _looks_like)
        report("formula-text", 'the cell starts with "=" and would run as a formula in Excel; '
               "it is kept as text.", 'Remove the "=" if it is not meant.',
               np.flatnonzero(looks == "formula"), name, Severity.WARNING)
        report("markup-text", "the cell contains markup such as <b> or <script>; it is shown as "
               "written, never run.", "Remove the markup if it is not meant.",
               np.flatnonzero(looks == "markup"), name, Severity.WARNING)

    in_period = np.ones(n, dtype=bool)
    if period is not None:
        first_day, last_day = period
        outside = dated & ((read.end_day < first_day.toordinal()) |
                           (read.start_day > last_day.toordinal()))
        in_period = ~outside
        for i in np.flatnonzero(outside):
            report("outside-period", f'"{date_texts[i]}" is outside the terms-of-reference '
                   f"period ({first_day:%d/%m/%Y} to {last_day:%d/%m/%Y}); the event is kept "
                   "but left out of the chronology.", "Check the date, or show it by asking "
                   "for events outside the period.", [i], "date", Severity.WARNING)

    agencies = np.full(n, source.agency, dtype=object)
    if "agency" in mapping:
        agencies = np.where(cells["agency"] == "", source.agency, cells["agency"])

    events = frame({
        "id": _event_ids(source.code, refs, date_texts, times, cells["event"]),
        "agency": agencies, "code": np.full(n, source.code, dtype=object),
        "file": np.full(n, table.name, dtype=object), "row": rows, "ref": refs,
        "date_text": date_texts, "date_start": read.start, "date_end": read.end,
        "precision": read.precision, "qualifier": read.qualifier, "time": times,
        "end_date": end_dates, "source": sources, "event": cells["event"],
        "action": cells["action"], "significance": cells["significance"], "kind": kinds,
        "comment": cells["comment"], "extras": _extras(table, mapping), "in_period": in_period,
    })
    if dated.all():
        return events
    return events[dated].reset_index(drop=True)


def _each_distinct(cells: np.ndarray, read: Callable[[str], object]) -> np.ndarray:
    """``read`` of every cell, worked out once per distinct value and spread back over the rows."""
    codes, uniques = pd.factorize(cells)
    return np.fromiter(map(read, uniques), dtype=object, count=len(uniques))[codes]


def _times(cells: np.ndarray, report: Callable, name: str) -> np.ndarray:
    """Time cells as HH:MM ("" for none), each bad one reported under the column ``name``."""
    read = _each_distinct(cells, _read_time)
    for i in np.flatnonzero([isinstance(t, TimeError) for t in read]):
        report("time-invalid", str(read[i]), read[i].hint, [i], name)
    return np.array(["" if isinstance(t, TimeError) else t for t in read], dtype=object)


_TIME_OF_DAY = re.compile(r"(.*\d)[ T](\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)")


def _date_and_time(written: str) -> tuple[str, str]:
    """A date cell split into its date and its time of day ("" if it gives none). Systems that
    export a date-only value as a date and time write midnight: that is no time at all."""
    found = _TIME_OF_DAY.fullmatch(written)
    if not found:
        return written, ""
    day, time_of_day = found.groups()
    return day, "" if time_of_day in ("00:00", "00:00:00") else time_of_day


def _read_time(text: str) -> str | TimeError:
    if not text:
        return ""
    try:
        return parse_time(text).strftime("%H:%M")
    except TimeError as exc:
        return exc


def _looks_like(text: str) -> str:
    """"formula" for a cell Excel would run, "markup" for one with HTML tags, else ""."""
    if text.startswith("="):
        return "formula"
    if "<" in text and _MARKUP.search(text):
        return "markup"
    return ""


def _extras(table: RawTable, mapping: dict[str, int]) -> list[dict[str, str]]:
    """Each row's cells under headings that are not fields, as written, leaving out blanks."""
    extra = [i for i, heading in enumerate(table.headings)
             if heading and i not in mapping.values()]
    if not extra:
        return [{} for _ in range(len(table.rows))]
    names = [table.headings[i] for i in extra]
    cells = zip(*(table.columns[i].tolist() for i in extra), strict=True)
    return [{k: v for k, v in zip(names, row, strict=True) if v.strip()} for row in cells]


def _ref_key(ref: str) -> str | None:
    """The part of an event ID taken from the agency's own reference; None when there is none."""
    if ref.isdigit():
        return ref.zfill(3)
    if ref:
        return _NOT_ID.sub("-", ref).strip("-")
    return None


def _event_ids(code: str, refs: np.ndarray, dates: np.ndarray, times: np.ndarray,
               events: np.ndarray) -> list[str]:
    """IDs that stay the same when other rows are added, removed or reordered.

    The agency's own reference is used when given (recommended: IDs then survive edits to the
    text as well), without the agency's code if it already begins so; otherwise a short hash of
    the date, time and event text. A reference used
    twice, or written two ways ("7" and "007"), gives "POL-007" and then "POL-007.2".
    """
    ids = []
    for ref, written, time, event in zip(refs, dates, times, events, strict=True):
        # A merged chronology read back (a panel's copy of an agency's) carries the IDs already.
        key = _ref_key(ref.removeprefix(f"{code}-"))
        if key is None:
            text = " ".join(event.split())
            key = hashlib.sha1(f"{written}|{time}|{text}".encode()).hexdigest()[:5]
        ids.append(f"{code}-{key}")
    if len(set(ids)) == len(ids):
        return ids
    used: dict[str, int] = {}
    for i, candidate in enumerate(ids):
        count = used.get(candidate, 0)
        used[candidate] = count + 1
        if count:
            ids[i] = f"{candidate}.{count + 1}"
    return ids
