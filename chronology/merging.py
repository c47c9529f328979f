"""Many agencies' events as one chronology: ordered, filtered, joint events linked, gaps shown."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

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
_STOP = frozenset("a an and the of to in on at for with by was were is from as".split())


@dataclass(frozen=True)
class Filter:
    """Which events a reader wants to see; every field is optional."""

    agencies: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    significance: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    include_outside_period: bool = False

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


def merge(records: Iterable[AgencyRecords] | Iterable[pd.DataFrame], *,
          agency_order: Sequence[str] = (), link_joint: bool = True,
          joint_window_days: int = 2) -> pd.DataFrame:
    """All agencies' events in one frame, in a deterministic order.

    Order: start date, then precision (a dated event before "May 2015"), time, agency (as listed
    in ``agency_order``, else alphabetical), then the row in the agency's file.
    """
    frames = [r.events if isinstance(r, AgencyRecords) else r for r in records]
    frames = [f for f in frames if len(f)]
    if not frames:
        events = empty_events()
        events["joint"] = pd.Series(dtype=object)
        return events
    events = pd.concat(frames, ignore_index=True)
    rank = {name: i for i, name in enumerate(agency_order)}
    # Whole-number keys sort far faster than date objects.
    keys = pd.DataFrame({
        "day": events["date_start"].map(date.toordinal),
        "precision": events["precision"],
        "time": events["time"],
        "agency_rank": events["agency"].map(lambda a: rank.get(a, len(rank))),
        "agency": events["agency"],
        "file": events["file"],
        "row": events["row"],
    })
    order = keys.sort_values(list(keys.columns), kind="stable").index
    events = events.loc[order].reset_index(drop=True)
    events["joint"] = pd.Series([()] * len(events), dtype=object)
    if link_joint:
        _link_joint_events(events, joint_window_days)
    return events


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP)


def _link_joint_events(events: pd.DataFrame, window_days: int) -> None:
    """Link the entries that different agencies made of the same meeting or visit.

    Candidates name the same kind of multi-agency meeting, were recorded by different agencies
    within ``window_days`` of each other, and share enough words. Each entry is linked to at most
    one entry per other agency, the closest match, since one meeting is one event.
    """
    texts = events["event"].tolist()
    meetings = {t: (m[0].lower() if (m := JOINT_WORDS.search(t)) else "") for t in set(texts)}
    candidates = [i for i, t in enumerate(texts) if meetings[t]]
    if len(candidates) < 2:
        return
    starts = events["date_start"].tolist()
    agencies = events["agency"].tolist()
    # Whole numbers for agency and meeting: joins and sorts on them are many times faster.
    agency_codes = {a: n for n, a in enumerate(dict.fromkeys(agencies))}
    meeting_codes = {m: n for n, m in enumerate(dict.fromkeys(meetings.values()))}
    table = pd.DataFrame({
        "i": candidates,
        "day": [starts[i].toordinal() for i in candidates],
        "agency": [agency_codes[agencies[i]] for i in candidates],
        "meeting": [meeting_codes[meetings[texts[i]]] for i in candidates],
    })
    pairs = []
    for offset in range(window_days + 1):
        found = table.merge(table.assign(day=table["day"] - offset), on=["meeting", "day"],
                            suffixes=("", "_other"))
        found = found[found["agency"] != found["agency_other"]].assign(distance=offset)
        pairs.append(found)
        if offset:
            pairs.append(found.rename(columns={"i": "i_other", "i_other": "i", "agency":
                                               "agency_other", "agency_other": "agency"}))
    pairs = pd.concat(pairs, ignore_index=True)
    if pairs.empty:
        return
    # Word overlap is worked out once per distinct pair of texts, not once per pair of events.
    text_ids = {t: n for n, t in enumerate(dict.fromkeys(texts[i] for i in candidates))}
    by_event = pd.Series({i: text_ids[texts[i]] for i in candidates})
    pairs["ta"] = by_event[pairs["i"]].to_numpy()
    pairs["tb"] = by_event[pairs["i_other"]].to_numpy()
    distinct = pairs[["ta", "tb"]].drop_duplicates()
    words = [_words(t) for t in text_ids]
    distinct["overlap"] = [len(words[x] & words[y]) / max(1, min(len(words[x]), len(words[y])))
                           for x, y in zip(distinct["ta"].tolist(), distinct["tb"].tolist(),
                                           strict=True)]
    pairs = pairs.merge(distinct, on=["ta", "tb"])
    pairs = pairs[pairs["overlap"] >= 0.3]
    best = (pairs.sort_values(["i", "agency_other", "overlap", "distance", "i_other"],
                              ascending=[True, True, False, True, True], kind="stable")
            .drop_duplicates(["i", "agency_other"])
            .sort_values(["i", "i_other"], kind="stable"))
    ids = events["id"].tolist()
    joint = events["joint"].tolist()
    linked: dict[int, list[str]] = {}
    for i, j in zip(best["i"].tolist(), best["i_other"].tolist(), strict=True):
        linked.setdefault(i, []).append(ids[j])
    for i, others in linked.items():
        joint[i] = tuple(others)
    events["joint"] = pd.Series(joint, index=events.index, dtype=object)


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
