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
from .problems import InputError, Problem, Severity
from .reading import RawTable, read_table

#: Columns of an events frame, in order; ``extras`` holds unmapped columns as a dict per row.
EVENT_COLUMNS = (
    "id", "agency", "code", "file", "row", "ref", "date_text", "date_start", "date_end",
    "precision", "qualifier", "time", "end_date", "source", "event", "action", "significance",
    "kind", "comment", "extras", "in_period",
)

_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


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
    if any(p.is_error for p in problems) and not table.rows:
        return AgencyRecords(source, empty_events(), problems)
    mapping = _map_headings(table, source)
    if mapping is None:
        return AgencyRecords(source, empty_events(), table.problems)
    events = _normalise(table, source, mapping, period)
    return AgencyRecords(source, events, _in_reading_order(table.problems))


def _in_reading_order(problems: list[Problem]) -> list[Problem]:
    """File-wide problems first, then row by row, as a reviewer works down the sheet."""
    return sorted(problems, key=lambda p: -1 if p.row is None else p.row)


def check(source: Source, **kwargs) -> AgencyRecords:
    """Like :func:`load`, but raise :class:`InputError` carrying every problem if any is an error."""
    records = load(source, **kwargs)
    if records.errors:
        raise InputError(records.problems)
    return records


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
    rows = table.rows
    n = len(rows)
    columns: dict[str, list[str]] = {}
    for name in FIELD_NAMES:
        index = mapping.get(name)
        columns[name] = [r[index].strip() for r in rows] if index is not None else [""] * n
    heading = {name: table.headings[i] for name, i in mapping.items()}
    numbers = table.row_numbers
    extra_indexes = [i for i, h in enumerate(table.headings) if i not in mapping.values()]

    def report(code: str, message: str, hint: str, i: int, name: str,
               severity: Severity = Severity.ERROR) -> None:
        table.problem(code, message, hint, row=numbers[i], column=heading.get(name, name),
                      severity=severity)

    starts: list[date | None] = [None] * n
    ends: list[date | None] = [None] * n
    precision = [0] * n
    qualifier = [""] * n
    for text, positions in _positions(columns["date"]).items():
        try:
            parsed = parse_date(text)
        except DateError as exc:
            message = 'the "Date" is empty.' if not text else str(exc)
            for i in positions:
                report("date-missing" if not text else "date-invalid", message, exc.hint, i,
                       "date")
            continue
        for i in positions:
            starts[i], ends[i] = parsed.start, parsed.end
            precision[i], qualifier[i] = int(parsed.precision), parsed.qualifier.value

    times = [""] * n
    for text, positions in _positions(columns["time"]).items():
        if not text:
            continue
        try:
            value = parse_time(text).strftime("%H:%M")
        except TimeError as exc:
            for i in positions:
                report("time-invalid", str(exc), exc.hint, i, "time")
            continue
        for i in positions:
            times[i] = value

    end_dates: list[date | None] = [None] * n
    for text, positions in _positions(columns["end_date"]).items():
        if not text:
            continue
        try:
            parsed = parse_date(text)
        except DateError as exc:
            for i in positions:
                report("date-invalid", str(exc), exc.hint, i, "end_date")
            continue
        for i in positions:
            end_dates[i] = parsed.end
            if starts[i] is not None and parsed.end < starts[i]:
                report("end-before-start", f'the end date "{text}" is before the date '
                       f'"{columns["date"][i]}".', "Swap the two dates or correct one of them.",
                       i, "end_date")

    if source.source and "source" not in mapping:
        columns["source"] = [source.source] * n
    for name in ("event", "source"):
        label = BY_NAME[name].label
        for i in (i for i, v in enumerate(columns[name]) if not v):
            hint = ("Say what happened, in one entry per event." if name == "event" else
                    "Say where this comes from: the record and the practitioner's role, "
                    "for example \"Case notes, probation officer\".")
            report(f"{name}-missing", f'the "{label}" is empty.', hint, i, name)

    kinds = [""] * n
    for text, positions in _positions(columns["kind"]).items():
        if not text:
            continue
        value = text.lower()
        if value not in KINDS:
            allowed = ", ".join(KINDS)
            for i in positions:
                report("kind-unknown", f'"{text}" is not a kind of information.',
                       f"Use one of: {allowed}; or leave the cell empty.", i, "kind")
            continue
        for i in positions:
            kinds[i] = value

    refs = columns["ref"]
    seen_refs: dict[str, int] = {}
    for i, ref in enumerate(refs):
        if not ref:
            continue
        if ref in seen_refs:
            report("ref-duplicate", f'the reference "{ref}" is also used on row '
                   f"{numbers[seen_refs[ref]]}.", "Give each row its own reference.", i, "ref")
        else:
            seen_refs[ref] = i

    for name in ("event", "action", "comment", "source"):
        for i, value in enumerate(columns[name]):
            if value.startswith("="):
                report("formula-text", 'the cell starts with "=" and would run as a formula '
                       "in Excel; it is kept as text.", "Remove the \"=\" if it is not meant.",
                       i, name, Severity.WARNING)
            elif "<" in value and _MARKUP.search(value):
                report("markup-text", "the cell contains markup such as <b> or <script>; it is "
                       "shown as written, never run.", "Remove the markup if it is not meant.",
                       i, name, Severity.WARNING)

    in_period = [True] * n
    if period is not None:
        first, last = period
        for i in range(n):
            if starts[i] is None:
                continue
            if ends[i] < first or starts[i] > last:
                in_period[i] = False
                report("outside-period", f'"{columns["date"][i]}" is outside the terms-of-'
                       f"reference period ({first:%d/%m/%Y} to {last:%d/%m/%Y}); the event is kept "
                       "but left out of the chronology.", "Check the date, or show it by asking "
                       "for events outside the period.", i, "date", Severity.WARNING)

    agencies = [a or source.agency for a in columns["agency"]]
    extras = [{table.headings[j]: rows[i][j] for j in extra_indexes if rows[i][j].strip()}
              for i in range(n)] if extra_indexes else [{} for _ in range(n)]
    ids = _event_ids(source.code, refs, columns["date"], times, columns["event"])
    frame = pd.DataFrame({
        "id": ids,
        "agency": agencies,
        "code": source.code,
        "file": table.name,
        "row": numbers,
        "ref": refs,
        "date_text": columns["date"],
        "date_start": starts,
        "date_end": ends,
        "precision": precision,
        "qualifier": qualifier,
        "time": times,
        "end_date": end_dates,
        "source": columns["source"],
        "event": columns["event"],
        "action": columns["action"],
        "significance": columns["significance"],
        "kind": kinds,
        "comment": columns["comment"],
        "extras": extras,
        "in_period": in_period,
    }, columns=list(EVENT_COLUMNS))
    # Rows whose date could not be read cannot be placed in time: they are reported, not kept.
    return frame[[s is not None for s in starts]].reset_index(drop=True)


def _positions(values: list[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for i, value in enumerate(values):
        found.setdefault(value, []).append(i)
    return found


def _event_ids(code: str, refs: list[str], dates: list[str], times: list[str],
               events: list[str]) -> list[str]:
    """IDs that stay the same when other rows are added, removed or reordered.

    The agency's own reference is used when given (recommended: IDs then survive edits to the
    text as well); otherwise a short hash of the date, time and event text.
    """
    ids: list[str] = []
    used: dict[str, int] = {}
    for ref, when, at, text in zip(refs, dates, times, events, strict=True):
        if ref:
            key = ref.zfill(3) if ref.isdigit() else re.sub(r"[^A-Za-z0-9]+", "-", ref).strip("-")
        else:
            digest = hashlib.sha1(f"{when}|{at}|{' '.join(text.split())}".encode()).hexdigest()
            key = digest[:5]
        candidate = f"{code}-{key}"
        count = used.get(candidate, 0)
        used[candidate] = count + 1
        ids.append(candidate if count == 0 else f"{candidate}.{count + 1}")
    return ids
