"""One agency's records: headings mapped to fields, every cell checked, events normalised.

Checks run over the distinct values of a column rather than cell by cell, so a 10,000-row export
costs as many date parses as it has different date spellings.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from .dates import DateError, TimeError, parse_date, parse_time
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
    source: Source
    events: pd.DataFrame
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def load(source: Source, *, period: tuple[date, date] | None = None,
         base: Path | None = None) -> AgencyRecords:
    """Read, check and normalise one agency's file. Problems are returned, not raised."""
    table = read_table(source.path, encoding=source.encoding, sheet=source.sheet,
                       overrides=source.columns, base=base)
    problems = table.problems
    if any(p.is_error for p in problems) and table.cells.empty:
        return AgencyRecords(source, empty_events(), problems)
    mapping = _map_headings(table, source)
    if mapping is None:
        return AgencyRecords(source, empty_events(), table.problems)
    events = _normalise(table, source, mapping, period)
    return AgencyRecords(source, events, _in_reading_order(table.problems))


def _in_reading_order(problems: list[Problem]) -> list[Problem]:
    """File-wide problems first, then row by row, as a reviewer works down the sheet."""
    return sorted(problems, key=lambda p: -1 if p.row is None else p.row)


def empty_events() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in EVENT_COLUMNS})


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
               period: tuple[date, date] | None) -> pd.DataFrame:
    """Check every cell and build the events frame.

    Works on plain lists (far faster than pandas' per-element string methods), reads each
    distinct date and time once, and visits rows one by one only to report a problem.
    """
    rows = table.cells.index.tolist()
    n = len(rows)
    blank = [""] * n
    columns: dict[str, list[str]] = {
        name: [c.strip() for c in table.cells[mapping[name]].tolist()] if name in mapping
        else blank for name in FIELD_NAMES
    }
    heading = {name: table.headings[i] for name, i in mapping.items()}

    def report(code: str, message: str, hint: str, positions, name: str,
               severity: Severity = Severity.ERROR) -> None:
        for i in positions:
            table.problem(code, message, hint, row=rows[i], column=heading.get(name, name),
                          severity=severity)

    date_texts = columns["date"]
    readings: dict[str, object] = {}
    for text in set(date_texts):
        try:
            readings[text] = parse_date(text)
        except DateError as exc:
            readings[text] = exc
    parsed = [readings[t] for t in date_texts]
    for text, value in readings.items():
        if isinstance(value, DateError):
            where = [i for i, t in enumerate(date_texts) if t == text]
            if text:
                report("date-invalid", str(value), value.hint, where, "date")
            else:
                report("date-missing", 'the "Date" is empty.', value.hint, where, "date")
    dated = [not isinstance(v, DateError) for v in parsed]
    starts = [v.start if ok else None for v, ok in zip(parsed, dated, strict=True)]
    ends = [v.end if ok else None for v, ok in zip(parsed, dated, strict=True)]

    times = blank
    if "time" in mapping:
        found: dict[str, str] = {"": ""}
        for text in set(columns["time"]) - {""}:
            try:
                found[text] = parse_time(text).strftime("%H:%M")
            except TimeError as exc:
                found[text] = ""
                report("time-invalid", str(exc), exc.hint,
                       [i for i, t in enumerate(columns["time"]) if t == text], "time")
        times = [found[t] for t in columns["time"]]

    end_dates: list[date | None] = [None] * n
    if "end_date" in mapping:
        for i, text in enumerate(columns["end_date"]):
            if not text:
                continue
            try:
                end_dates[i] = parse_date(text).end
            except DateError as exc:
                report("date-invalid", str(exc), exc.hint, [i], "end_date")
                continue
            if dated[i] and end_dates[i] < starts[i]:
                report("end-before-start", f'the end date "{text}" is before the date '
                       f'"{date_texts[i]}".', "Swap the two dates or correct one of them.", [i],
                       "end_date")

    if source.source and "source" not in mapping:
        columns["source"] = [source.source] * n
    report("source-missing", 'the "Source of information" is empty.',
           "Say where this comes from: the record and the practitioner's role, for example "
           '"Case notes, probation officer".', [i for i, v in enumerate(columns["source"]) if not v],
           "source")
    report("event-missing", 'the "Event" is empty.', "Say what happened, in one entry per event.",
           [i for i, v in enumerate(columns["event"]) if not v], "event")

    kinds = blank
    if "kind" in mapping:
        lowered = {t: t.lower() for t in set(columns["kind"])}
        for text in sorted(t for t, low in lowered.items() if low and low not in KINDS):
            report("kind-unknown", f'"{text}" is not a kind of information.',
                   f"Use one of: {', '.join(KINDS)}; or leave the cell empty.",
                   [i for i, t in enumerate(columns["kind"]) if t == text], "kind")
        kinds = [lowered[t] if lowered[t] in KINDS else "" for t in columns["kind"]]

    refs = columns["ref"]
    first_use: dict[str, int] = {}
    for i, ref in enumerate(refs):
        if ref and first_use.setdefault(ref, i) != i:
            report("ref-duplicate", f'the reference "{ref}" is also used on row '
                   f"{rows[first_use[ref]]}.", "Give each row its own reference.", [i], "ref")

    for name in ("event", "action", "comment", "source"):
        values = columns[name]
        report("formula-text", 'the cell starts with "=" and would run as a formula in Excel; '
               "it is kept as text.", 'Remove the "=" if it is not meant.',
               [i for i, v in enumerate(values) if v[:1] == "="], name, Severity.WARNING)
        report("markup-text", "the cell contains markup such as <b> or <script>; it is shown as "
               "written, never run.", "Remove the markup if it is not meant.",
               [i for i, v in enumerate(values) if "<" in v and v[:1] != "=" and _MARKUP.search(v)],
               name, Severity.WARNING)

    in_period = [True] * n
    if period is not None:
        first_day, last_day = period
        for i in range(n):
            if dated[i] and (ends[i] < first_day or starts[i] > last_day):
                in_period[i] = False
                report("outside-period", f'"{date_texts[i]}" is outside the terms-of-reference '
                       f"period ({first_day:%d/%m/%Y} to {last_day:%d/%m/%Y}); the event is kept "
                       "but left out of the chronology.", "Check the date, or show it by asking "
                       "for events outside the period.", [i], "date", Severity.WARNING)

    extra_columns = [i for i in range(len(table.headings))
                     if i not in mapping.values() and table.headings[i]]
    if extra_columns:
        names = [table.headings[i] for i in extra_columns]
        values = zip(*(table.cells[i].tolist() for i in extra_columns), strict=True)
        extras = [{k: v for k, v in zip(names, row, strict=True) if v.strip()} for row in values]
    else:
        extras = [{} for _ in range(n)]
    agencies = [a or source.agency for a in columns["agency"]] if "agency" in mapping \
        else [source.agency] * n

    keep = [i for i in range(n) if dated[i]]
    ids = _event_ids(source.code, refs, date_texts, times, columns["event"])
    data = {
        "id": ids, "agency": agencies, "code": [source.code] * n, "file": [table.name] * n,
        "row": rows, "ref": refs, "date_text": date_texts, "date_start": starts,
        "date_end": ends,
        "precision": [int(v.precision) if ok else 0 for v, ok in zip(parsed, dated, strict=True)],
        "qualifier": [v.qualifier.value if ok else "" for v, ok in zip(parsed, dated, strict=True)],
        "time": times, "end_date": end_dates, "source": columns["source"],
        "event": columns["event"], "action": columns["action"],
        "significance": columns["significance"], "kind": kinds, "comment": columns["comment"],
        "extras": extras, "in_period": in_period,
    }
    # Rows whose date could not be read cannot be placed in time: they are reported, not kept.
    if len(keep) < n:
        data = {k: [v[i] for i in keep] for k, v in data.items()}
    numeric = {"row", "precision", "in_period"}
    return pd.DataFrame({k: pd.Series(v, dtype=None if k in numeric else object)
                         for k, v in data.items()}, columns=list(EVENT_COLUMNS))


def _event_ids(code: str, refs: list[str], dates: list[str], times: list[str],
               events: list[str]) -> list[str]:
    """IDs that stay the same when other rows are added, removed or reordered.

    The agency's own reference is used when given (recommended: IDs then survive edits to the
    text as well); otherwise a short hash of the date, time and event text.
    """
    ids: list[str] = []
    used: dict[str, int] = {}
    for ref, when, at, text in zip(refs, dates, times, events, strict=True):
        if ref.isdigit():
            key = ref.zfill(3)
        elif ref:
            key = _NOT_ID.sub("-", ref).strip("-")
        else:
            key = hashlib.sha1(f"{when}|{at}|{' '.join(text.split())}".encode()).hexdigest()[:5]
        candidate = f"{code}-{key}"
        count = used.get(candidate, 0)
        used[candidate] = count + 1
        ids.append(candidate if count == 0 else f"{candidate}.{count + 1}")
    return ids
