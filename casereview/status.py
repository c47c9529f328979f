"""Where a review stands: each milestone, when it is due, and whether it is done.

The milestones are the clocks of the review's type (casereview/types/): a length of time from
an event (the serious incident, the request, an earlier milestone) in working days, days or
months, or a date the case gives (the panel's deadline; completion within the months allowed,
6 by default as later national guidance, 4 in older local procedures). Working days leave out
weekends and England's bank holidays.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

from .model import Review
from .receiving import agency_statuses
from .records import secured_on
from .reviewtype import Clock
from .signoff import state

DUE_SOON_DAYS = 14


class State(StrEnum):
    DONE = "done"
    LATE = "done late"
    OVERDUE = "overdue"
    DUE_SOON = "due soon"
    PENDING = "pending"
    NO_DATE = "no due date"


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str
    due: date | None
    done: date | bool | None
    state: State

    def as_dict(self) -> dict:
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        data["done"] = self.done.isoformat() if isinstance(self.done, date) else self.done
        data["state"] = self.state.value
        return data


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (the start day itself not counted)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def add_months(start: date, months: int) -> date:
    """Same day of the month, ``months`` later; the month's last day when it is shorter."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _state(due: date | None, done: date | bool | None, today: date) -> State:
    if done:
        if isinstance(done, date) and due and done > due:
            return State.LATE
        return State.DONE
    if due is None:
        return State.NO_DATE
    if due < today:
        return State.OVERDUE
    if (due - today).days <= DUE_SOON_DAYS:
        return State.DUE_SOON
    return State.PENDING


def _audience(review: Review) -> str:
    if review.level == "case":
        return "case"
    return "own" if review.case is None else "agency"


def _due(clock: Clock, review: Review, dues: dict[str, date | None],
         done: dict[str, date | bool | None]) -> date | None:
    """A clock's due date: a length of time from its event, or a date the case gives."""
    if clock.length is not None:
        if clock.start == "incident":
            start = review.incident
        elif clock.start == "requested":
            start = review.requested
        else:  # an earlier clock: from the day it was done, or else from when it was due
            finished = done.get(clock.start)
            start = finished if isinstance(finished, date) else dues.get(clock.start)
        if start is None:
            return None
        unit, amount = clock.length
        if unit == "working_days":
            return add_working_days(start, amount)
        if unit == "months":
            return add_months(start, amount)
        return start + timedelta(days=amount)
    completion = add_months(review.requested, review.months)
    if clock.due == "deadline":
        return review.panel_deadline
    if clock.due == "completion":
        return completion
    if clock.due == "deadline or completion":
        return review.panel_deadline or completion
    if clock.due == "agencies":
        return max((a.due for a in review.case.agencies if a.due), default=None)
    return None


def _evidence(review: Review, draft_complete: bool | None) -> dict[str, date | bool | None]:
    """What casereview knows is done without being told: the request, the records secured,
    the sign-off, the agencies' reviews received; the rest is recorded under [milestones]."""
    done: dict[str, date | bool | None] = dict(review.milestones)
    signoff = state(review)
    done["signed_off"] = signoff.latest.when.date() if signoff.signed else done.get("signed_off")
    done["requested"] = review.requested
    if review.level == "case":
        arrived = [a.received for a in agency_statuses(review.case)]
        done["agency_reviews"] = max(arrived) if arrived and all(arrived) else None
    else:
        done["records_secured"] = review.records_secured or secured_on(review.root)
        done["draft_complete"] = done.get("draft_complete") or draft_complete
        # Inside a case, the panel has the review as soon as it is signed off.
        done["sent_to_panel"] = done.get("sent_to_panel") or (
            review.case is not None and done["signed_off"])
    return done


def milestones(review: Review, *, today: date | None = None,
               draft_complete: bool | None = None) -> list[Milestone]:
    """The review's milestones in order, as its type's clocks set them, each with its due date
    and state on ``today``."""
    today = today or date.today()
    done = _evidence(review, draft_complete)
    dues: dict[str, date | None] = {}
    rows = []
    for clock in review.review_type.clocks_for(_audience(review)):
        if clock.optional and clock.start == "incident" and review.incident is None:
            continue
        due = _due(clock, review, dues, done)
        dues[clock.key] = due
        finished = done.get(clock.key)
        rows.append(Milestone(clock.key, clock.label, due, finished,
                              _state(due, finished, today)))
    return rows


def checklist(review: Review) -> list[tuple[str, date | None]]:
    """The type's quality checklist for a case: each item, and the date the panel confirmed it."""
    if review.level != "case":
        return []
    return [(item.label, review.case.checklist.get(item.key))
            for item in review.review_type.checklist]
