"""A review's chronology: every agency's records loaded, checked and merged.

The CLI checks the records before Sphinx starts and the ``chronology`` directive renders them
during the build; both call :func:`review_chronology`, which keeps the last result per set of
files so one build reads each file once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chronology import records
from chronology.merging import find_gaps, merge, with_gaps
from chronology.problems import InputError, Problem, display_path
from chronology.records import Source

from . import __version__
from .model import Review, load_review
from .records import LOG, RecordsError, append_log, read_log


@dataclass
class ReviewChronology:
    events: pd.DataFrame
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def with_gaps(self, min_days: int, period) -> pd.DataFrame:
        return with_gaps(self.events, find_gaps(self.events, min_days, period))


_cache: dict[tuple, ReviewChronology] = {}


def _key(review: Review) -> tuple:
    stats = []
    for source in review.sources:
        st = source.path.stat()
        stats.append((str(source.path.resolve()), st.st_mtime_ns, st.st_size, source.agency,
                      source.code, source.encoding, source.sheet, source.source,
                      tuple(sorted(source.columns.items()))))
    return (tuple(stats), review.period)


def review_chronology(review: Review) -> ReviewChronology:
    """Load and merge the review's records; problems are returned, not raised."""
    key = _key(review)
    if key in _cache:
        return _cache[key]
    loaded = [records.load(s, period=review.period) for s in review.sources]
    result = ReviewChronology(
        events=merge(loaded, agency_order=[s.agency for s in review.sources]),
        problems=[p for r in loaded for p in r.problems],
    )
    _cache.clear()
    _cache[key] = result
    return result


def checked_chronology(review: Review) -> ReviewChronology:
    """Like :func:`review_chronology`, raising :class:`InputError` if any file has an error."""
    result = review_chronology(review)
    if result.errors:
        raise InputError(result.problems)
    return result


def check_files(paths: list[Path], *, encoding: str | None = None, sheet: str | None = None,
                source: str | None = None, columns: dict[str, str] | None = None
                ) -> list[records.AgencyRecords]:
    """Load every file (all problems collected); the review's period applies to its files.
    A file given directly is read with the settings given, as a [[records]] entry gives them."""
    loaded = []
    for path in paths:
        if path.is_dir():
            review = load_review(path)
            loaded += [records.load(s, period=review.period) for s in review.sources]
        else:
            agency = path.stem.replace("-", " ").title()
            loaded.append(records.load(Source(path=path, agency=agency, encoding=encoding,
                                              sheet=sheet, source=source,
                                              columns=dict(columns or {}))))
    return loaded


def merged_events(review: Review, *, include_outside_period: bool = False) -> pd.DataFrame:
    """The review's merged events, checked; raises InputError if any file has an error."""
    events = checked_chronology(review).events
    return events if include_outside_period else events[events["in_period"]]


def export_merged(review: Review, path: Path, *, by: str,
                  include_outside_period: bool = False) -> int:
    """Write the merged chronology to ``path`` (.csv, .xlsx or .json); the number of events.

    A review that keeps a custody log records the export in it, with the file's fingerprint:
    the records' contents have left the review in a copy.
    """
    from chronology.export import export

    events = merged_events(review, include_outside_period=include_outside_period)
    logged = (review.root / LOG).exists()
    if logged and (problems := read_log(review.root)[1]):
        raise RecordsError(problems)  # before writing: an export must not go unrecorded
    written = export(events, path)
    if logged:
        append_log(review.root, "exported chronology", by, file=display_path(written),
                   events=len(events), sha256=hashlib.sha256(written.read_bytes()).hexdigest())
    return len(events)


def drawing_key(review: Review, kind: str = "timeline") -> str:
    """A fingerprint of everything a drawing of the chronology shows: the same key, the same
    picture, so a rebuild after an edit to the text need not draw it again."""
    events = merged_events(review)
    shown = events[["agency", "date_start", "date_end", "qualifier", "significance"]]
    parts = [__version__, kind, review.title, str(review.period), str(review.gap_days),
             "|".join(s.agency for s in review.sources), shown.to_csv(index=False)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def draw(review: Review, path: Path, *, kind: str = "timeline") -> Path:
    """A timeline or monthly chart of the review's chronology, saved as PNG."""
    from chronology import plot

    events = merged_events(review)
    # Agencies in the order of their files, by the name their events carry: a file with an
    # agency column (a received chronology) may name its agency otherwise than review.toml.
    order = list(dict.fromkeys(agency for source in review.sources
                               for agency in events.loc[events["code"] == source.code, "agency"]))
    if kind == "monthly":
        return plot.monthly(events, path, period=review.period, agency_order=order,
                            title=review.title)
    gaps = find_gaps(events, review.gap_days, review.period)
    return plot.timeline(events, path, period=review.period, gaps=gaps, agency_order=order,
                         title=review.title)
