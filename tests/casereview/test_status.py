"""Milestones and due dates: working days skip weekends and England's bank holidays."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from casereview.cli import cli
from casereview.model import load_review
from casereview.status import State, add_months, add_working_days, milestones


@pytest.mark.parametrize(("start", "days", "expected"), [
    (date(2016, 6, 21), 5, date(2016, 6, 28)),    # Tuesday: the weekend is skipped
    (date(2016, 6, 24), 1, date(2016, 6, 27)),    # Friday -> Monday
    (date(2016, 6, 25), 1, date(2016, 6, 27)),    # from a Saturday
    (date(2016, 3, 24), 1, date(2016, 3, 29)),    # Good Friday and Easter Monday
    (date(2016, 12, 23), 1, date(2016, 12, 28)),  # Boxing Day and Christmas Day (observed)
    (date(2016, 5, 27), 1, date(2016, 5, 31)),    # Spring Bank Holiday
    (date(2016, 8, 25), 3, date(2016, 8, 31)),    # Late Summer Bank Holiday
    (date(2018, 6, 1), 15, date(2018, 6, 22)),    # three plain weeks
    (date(2016, 12, 20), 15, date(2017, 1, 13)),  # across Christmas and New Year (2 Jan)
])
def test_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2016, 7, 18), 6, date(2017, 1, 18)),
    (date(2016, 7, 18), 4, date(2016, 11, 18)),
    (date(2016, 8, 31), 6, date(2017, 2, 28)),
    (date(2015, 8, 31), 6, date(2016, 2, 29)),
])
def test_months(start, months, expected):
    assert add_months(start, months) == expected


def configure(review_dir, text):
    toml = review_dir / "review.toml"
    toml.write_text(toml.read_text() + text)


def test_states(workspace):
    configure(workspace, "\n[timescales]\nmonths = 4\npanel_deadline = 2020-04-30\n"
              "incident = 2020-02-20\n\n[milestones]\nnotified = 2020-02-28\n")
    review = load_review(workspace)
    rows = {m.key: m for m in milestones(review, today=date(2020, 4, 20))}
    assert rows["notified"].due == date(2020, 2, 27) and rows["notified"].state is State.LATE
    assert rows["rapid_review"].due == date(2020, 3, 12)
    assert rows["rapid_review"].state is State.OVERDUE
    assert rows["records_secured"].due == date(2020, 3, 3)
    assert rows["records_secured"].state is State.OVERDUE
    assert rows["sent_to_panel"].due == date(2020, 4, 30)
    assert rows["sent_to_panel"].state is State.DUE_SOON
    assert rows["overview_report"].due == date(2020, 7, 2)
    assert rows["overview_report"].state is State.PENDING
    assert rows["requested"].state is State.DONE


def test_status_text_and_json(workspace):
    configure(workspace, "\n[timescales]\npanel_deadline = 2020-04-30\n")
    runner = CliRunner()
    text = runner.invoke(cli, ["status", "reviews/case", "--on", "2020-04-20"], color=False)
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0] == "Minimal review (reviews/case)"
    assert lines[1] == "  Serious case review (scr)"
    assert lines[3].split() == ["Records", "secured", "due", "03/03/2020", "OVERDUE"]
    assert lines[6].split()[:4] == ["Sent", "to", "the", "panel"]
    assert lines[6].split()[-2:] == ["DUE", "SOON"]
    data = json.loads(runner.invoke(cli, ["status", "reviews/case", "--on", "2020-04-20",
                                          "--json"]).output)
    assert data[0]["review"] == "reviews/case"
    assert data[0]["type"] == "scr"
    states = {m["key"]: (m["due"], m["state"]) for m in data[0]["milestones"]}
    assert states["records_secured"] == ("2020-03-03", "overdue")
    assert states["sent_to_panel"] == ("2020-04-30", "due soon")
    assert states["published"] == ("2020-09-02", "pending")


def test_status_lists_every_review_by_default(workspace):
    result = CliRunner().invoke(cli, ["status", "--on", "2020-04-20"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "Minimal review (reviews/case)"
