"""Where a review stands: each milestone, when it is due, and whether it is done.

Due dates come from the review's timescales: the panel's deadline; completion within a number of
months of the request (6 by default, as later national guidance; 4 in older local procedures);
and, when the date of the serious incident is known, the newer process's clocks of 5 working days
to notify and 15 working days for the rapid review. Working days leave out weekends and England's
bank holidays.
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


def milestones(review: Review, *, today: date | None = None,
               draft_complete: bool | None = None) -> list[Milestone]:
    """The review's milestones in order, each with its due date and state on ``today``."""
    today = today or date.today()
    done = review.milestones
    signoff = state(review)
    signed_off = signoff.latest.when.date() if signoff.signed else done.get("signed_off")
    completion = add_months(review.requested, review.months)
    rows: list[tuple[str, str, date | None, date | bool | None]] = []
    # The incident's clocks are the board's, not each agency's.
    if review.incident and (review.level == "case" or review.case is None):
        rows += [
            ("notified", "Serious incident notified", add_working_days(review.incident, 5),
             done.get("notified")),
            ("rapid_review", "Rapid review", add_working_days(review.incident, 15),
             done.get("rapid_review")),
        ]
    if review.level == "case":
        agencies = agency_statuses(review.case)
        dues = [a.due for a in agencies if a.due]
        arrived = [a.received for a in agencies]
        all_in = max(arrived) if agencies and all(arrived) else None
        deadline = review.panel_deadline or completion
        rows += [
            ("requested", "Review commissioned", None, review.requested),
            ("agency_reviews", "Every agency's review received", max(dues, default=None),
             all_in),
            ("overview_report", "Overview report", deadline, done.get("overview_report")),
            ("signed_off", "Signed off by the panel chair", deadline, signed_off),
            ("published", "Published", completion, done.get("published")),
        ]
    else:
        rows += [
            ("requested", "Review requested", None, review.requested),
            ("records_secured", "Records secured", add_working_days(review.requested, 1),
             review.records_secured or secured_on(review.root)),
            ("draft_complete", "Draft complete", review.panel_deadline,
             done.get("draft_complete") or draft_complete),
            ("signed_off", "Signed off by the chief officer", review.panel_deadline, signed_off),
            ("sent_to_panel", "Sent to the panel", review.panel_deadline,
             done.get("sent_to_panel") or (review.case is not None and signed_off)),
        ]
        if review.case is None:  # an agency's own workspace: the case's dates as it knows them
            rows += [
                ("overview_report", "Overview report", completion, done.get("overview_report")),
                ("published", "Published", completion, done.get("published")),
            ]
    return [Milestone(key, label, due, finished, _state(due, finished, today))
            for key, label, due, finished in rows]
