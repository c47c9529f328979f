"""Many agencies' events as one chronology: ordered, filtered, joint events linked, gaps shown."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .records import EVENT_COLUMNS, AgencyRecords, empty_events

#: Words that mark a meeting or visit several agencies attend, where one event is recorded by each.
JOINT_WORDS = re.compile(
    r"strategy (?:meeting|discussion)|case conference|child protection conference|core group|"
    r"review conference|marac|mappa|joint (?:home )?visit|multi-agency|professionals meeting|"
    r"section 47|s47|planning meeting",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+")
#: The share of words (of the shorter text) two entries must have in common to be one event.
MIN_SHARED_WORDS = 0.3
_STOP = frozenset("a an and the of to in on at for with by was were is from as".split())
#: The chronology's order, most significant first; ``_listed`` is the agency's place in the
#: review's list of agencies. Times are "HH:MM" or "", so as text they sort as times do, with
#: events of no stated time first.
_ORDER = ["date_start", "precision", "time", "_listed", "agency", "file", "row"]


@dataclass(frozen=True)
class Filter:
    """Which events a reader wants to see; every field is optional."""

    agencies: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    significance: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    include_outside_period: bool = False

    def unmatched_agencies(self, events: pd.DataFrame) -> list[str]:
        """The agencies asked for that no event comes from, by name or code in any case: a
        filter naming one would silently show an empty table."""
        known = {a.casefold() for a in events["agency"]} | {c.casefold() for c in events["code"]}
        return [a for a in self.agencies if a.casefold() not in known]

    def apply(self, events: pd.DataFrame) -> pd.DataFrame:
        keep = pd.Series(True, index=events.index)
        if not self.include_outside_period:
            keep &= events["in_period"].astype(bool)
        if self.agencies:
            wanted = {a.casefold() for a in self.agencies}
            keep &= events["agency"].str.casefold().isin(wanted) | events["code"].str.casefold(
            ).isin(wanted)
        if self.start is not None:
            keep &= events["date_end"].map(lambda d: d >= self.start)
        if self.end is not None:
            keep &= events["date_start"].map(lambda d: d <= self.end)
        if self.significance:
            wanted = {s.casefold() for s in self.significance}
            keep &= events["significance"].str.casefold().isin(wanted)
        if self.kinds:
            keep &= events["kind"].isin({k.casefold() for k in self.kinds})
        return events[keep]


def merge(records: Iterable[AgencyRecords], *, agency_order: Sequence[str] = (),
          link_joint: bool = True, joint_window_days: int = 2) -> pd.DataFrame:
    """All agencies' events in one frame, in a deterministic order.

    Order: start date, then precision (a dated event before "May 2015"), time, agency (as listed
    in ``agency_order``, else alphabetical), then the file and the row in it.
    """
    parts = [r.events for r in records if len(r)]
    if not parts:
        return empty_events().assign(joint=pd.Series(dtype=object))
    events = pd.concat(parts, ignore_index=True)
    listed = {name: place for place, name in enumerate(agency_order)}
    keys = events.assign(_listed=events["agency"].map(listed).fillna(len(listed)))
    events = events.loc[keys.sort_values(_ORDER, kind="stable").index].reset_index(drop=True)
    joint = [()] * len(events)
    if link_joint:
        for position, linked in _joint_events(events, joint_window_days).items():
            joint[position] = linked
    return events.assign(joint=pd.Series(joint, dtype=object))


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP)


def _overlap(x: frozenset[str], y: frozenset[str]) -> float:
    """Share of words two texts have in common, of the shorter text."""
    return len(x & y) / max(1, min(len(x), len(y)))


def _meeting(text: str) -> str:
    """The kind of multi-agency meeting or visit an entry names, or "" if none."""
    found = JOINT_WORDS.search(text)
    return found[0].lower() if found else ""


def _pairs(candidates: pd.DataFrame, shift: int,
           words: dict[int, frozenset[str]]) -> pd.DataFrame:
    """Each candidate beside every entry of another agency on the same kind of meeting
    ``shift`` days earlier, with the share of words they have in common if it is enough."""
    other = candidates.assign(day=candidates["day"] + shift, distance=abs(shift))
    pairs = candidates.merge(other, on=["meeting", "day"], suffixes=("", "_other"))
    pairs = pairs[pairs["agency"] != pairs["agency_other"]]
    # How alike two texts are, worked out once for each pair of distinct texts.
    alike = pairs[["text", "text_other"]].drop_duplicates()
    alike = alike.assign(overlap=[_overlap(words[x], words[y]) for x, y in
                                  zip(alike["text"], alike["text_other"], strict=True)])
    return pairs.merge(alike[alike["overlap"] >= MIN_SHARED_WORDS], on=["text", "text_other"])


def _closest(pairs: pd.DataFrame) -> pd.DataFrame:
    """Each entry's best match with each other agency: most words in common, then fewest days
    apart, then first in the chronology."""
    return (pairs.sort_values(["overlap", "distance", "position_other"],
                              ascending=[False, True, True])
            .drop_duplicates(["position", "agency_other"]))


def _joint_events(events: pd.DataFrame, window_days: int) -> dict[int, tuple[str, ...]]:
    """The entries that different agencies made of the same meeting or visit, by position.

    Two entries are candidates when they name the same kind of multi-agency meeting, were
    recorded by different agencies within ``window_days`` of each other, and share enough
    words. One meeting is one event, so each entry is linked to at most one entry of each other
    agency, its closest match: most words in common, then fewest days apart, then first in the
    chronology. The links are listed in chronology order.
    """
    # Texts, meetings and agencies as numbers, one per distinct value, so that pairing
    # thousands of entries compares numbers rather than text.
    text, texts = pd.factorize(events["event"])
    meeting_of_text, meetings = pd.factorize(np.array([_meeting(t) for t in texts], dtype=object))
    meeting = meeting_of_text[text]
    candidates = pd.DataFrame({
        "position": np.arange(len(events)), "meeting": meeting, "text": text,
        "agency": pd.factorize(events["agency"])[0], "start": events["date_start"],
    })[meetings[meeting] != ""]
    candidates = candidates.assign(day=candidates.pop("start").map(date.toordinal))
    words = {t: _words(texts[t]) for t in candidates["text"].unique()}
    # The closest match among the entries a given number of days away, for each number of days
    # in the window; then the closest of those.
    best = _closest(pd.concat([_closest(_pairs(candidates, shift, words))
                               for shift in range(-window_days, window_days + 1)]))
    best = best.sort_values(["position", "position_other"])
    ids = events["id"].tolist()
    linked: dict[int, list[str]] = {}
    for position, other in zip(best["position"].tolist(), best["position_other"].tolist(),
                               strict=True):
        linked.setdefault(position, []).append(ids[other])
    return {position: tuple(others) for position, others in linked.items()}


@dataclass(frozen=True)
class Gap:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def find_gaps(events: pd.DataFrame, min_days: int,
              period: tuple[date, date] | None = None) -> list[Gap]:
    """Stretches of at least ``min_days`` days in which no agency recorded any contact."""
    spans = sorted(zip(events["date_start"], events["date_end"], strict=True))
    gaps: list[Gap] = []
    cursor = period[0] if period else (spans[0][0] if spans else None)
    if cursor is None:
        return gaps
    for start, end in spans:
        if start > cursor and (start - cursor).days >= min_days:
            gaps.append(Gap(cursor, start - timedelta(days=1)))
        cursor = max(cursor, end + timedelta(days=1))
    if period and period[1] >= cursor and (period[1] - cursor).days + 1 >= min_days:
        gaps.append(Gap(cursor, period[1]))
    return gaps


def with_gaps(events: pd.DataFrame, gaps: list[Gap]) -> pd.DataFrame:
    """The events with one "no agency contact" row per gap, each placed where the gap starts."""
    if not gaps:
        return events.assign(is_gap=False)
    rows = pd.DataFrame([{
        **{c: "" for c in EVENT_COLUMNS}, "id": "", "date_start": g.start, "date_end": g.end,
        "precision": 0, "row": 0, "date_text": f"{g.start:%d/%m/%Y} to {g.end:%d/%m/%Y}",
        "event": f"No agency contact for {g.days} days.", "extras": {}, "in_period": True,
        "joint": (), "is_gap": True,
    } for g in gaps])
    combined = pd.concat([events.assign(is_gap=False), rows], ignore_index=True)
    order = combined.sort_values(["date_start", "is_gap"], kind="stable").index
    return combined.loc[order].reset_index(drop=True)
