"""The chronology commands on the shipped example review, as a panel would run them."""

from __future__ import annotations

import csv

import openpyxl
import pytest
from click.testing import CliRunner
from matplotlib.image import imread

from casereview.cli import cli
from tests.conftest import copy_example


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_check_example(tmp_path, monkeypatch):
    """The case's composite: every agency review's records in the case's workspace, then the
    chronologies the panel holds itself (the police's comes once its package is received)."""
    copy_example(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run("chronology", "check", "reviews/example")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "reviews/example/agencies/probation/records/probation.csv: 12 events, 0 errors, "
        "0 warnings",
        "reviews/example/agencies/childrens-social-care/records/childrens-social-care.csv: "
        "9 events, 0 errors, 0 warnings",
        "reviews/example/records/health.xlsx: 9 events, 0 errors, 0 warnings",
        "reviews/example/records/nursery.xlsx: 5 events, 0 errors, 0 warnings",
    ]
    police = run("chronology", "check", "reviews/example-police")
    assert police.output == "reviews/example-police/records/police.csv: 8 events, 0 errors, " \
        "0 warnings\n"


def test_check_strict_fails_on_warnings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gp.csv").write_text("Date,Source,Event\n05/05/2015,GP,=1+1\n")
    assert run("chronology", "check", "gp.csv").exit_code == 0
    assert run("chronology", "check", "--strict", "gp.csv").exit_code == 1


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return copy_example(tmp_path_factory.mktemp("workspace"))


def test_merge_to_xlsx_and_csv(tmp_path, example):
    result = run("chronology", "merge", str(example), "-o", str(tmp_path / "merged.xlsx"))
    assert result.exit_code == 0 and "35 events written" in result.output
    sheet = openpyxl.load_workbook(tmp_path / "merged.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("ID", "Date", "Time") and len(rows) == 36
    run("chronology", "merge", str(example), "-o", str(tmp_path / "merged.csv"))
    text = (tmp_path / "merged.csv").read_text(encoding="utf-8-sig")
    ids = [r["ID"] for r in csv.DictReader(text.splitlines())]
    assert ids[0] == "PRB-001" and len(ids) == len(set(ids)) == 35
    joint = {r["ID"]: r["Joint event with"] for r in csv.DictReader(text.splitlines())}
    assert joint["CSC-004"] == "HLT-58f5a"
    assert joint["PRB-010"] == "CSC-006, HLT-f41da, NUR-4c2da"


def test_plots_are_drawn(tmp_path, example):
    for kind in ("timeline", "monthly"):
        out = tmp_path / f"{kind}.png"
        result = run("chronology", "plot", str(example), "-o", str(out), "--kind", kind)
        assert result.exit_code == 0, result.output
        pixels = imread(out)
        assert pixels.shape[1] >= 1500 and pixels.shape[0] >= 500
        assert pixels.std() > 0.05  # not a blank canvas
    again = tmp_path / "again.png"
    run("chronology", "plot", str(example), "-o", str(again))
    assert again.read_bytes() == (tmp_path / "timeline.png").read_bytes()


def test_merge_of_a_broken_review_names_the_problem(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from tests.conftest import make_workspace

    review = make_workspace(tmp_path)
    (review / "records" / "probation.csv").write_text("Date,Source,Event\n32/01/2019,R,X\n")
    result = CliRunner().invoke(cli, ["chronology", "merge", "reviews/case", "-o", "m.csv"])
    assert result.exit_code == 1
    assert 'reviews/case/records/probation.csv:2:Date: error [date-invalid] "32/01/2019"' in \
        result.output
    assert not (tmp_path / "m.csv").exists()


def test_merge_export_is_written_to_the_custody_log(tmp_path, monkeypatch):
    import hashlib

    from casereview.records import LOG, read_log, secure
    from tests.conftest import make_workspace

    monkeypatch.chdir(tmp_path)
    review = make_workspace(tmp_path)
    run("chronology", "merge", "reviews/case", "-o", "before.csv", "--by", "Sam Lee")
    assert not (review / LOG).exists()  # no records secured here: no custody log to keep
    secure(review, [review / "records" / "probation.csv"], by="Sam Lee")
    result = run("chronology", "merge", "reviews/case", "-o", "merged.csv", "--by", "Jo Bell")
    assert result.exit_code == 0, result.output
    entries, problems = read_log(review)
    assert problems == [] and [e["action"] for e in entries] == ["secured", "exported chronology"]
    export = entries[-1]
    assert export["who"] == "Jo Bell"
    assert export["details"] == {
        "file": "merged.csv", "events": int(result.output.split()[0]),
        "sha256": hashlib.sha256((tmp_path / "merged.csv").read_bytes()).hexdigest()}
    lines = run("records", "log", "reviews/case").output.splitlines()
    assert lines[0].endswith("  secured              Sam Lee  " + entries[0]["details"]["set"])
    assert lines[1].endswith("  exported chronology  Jo Bell  merged.csv")


def test_merge_refuses_to_export_past_a_broken_custody_log(tmp_path, monkeypatch):
    from casereview.records import LOG, secure
    from tests.conftest import make_workspace

    monkeypatch.chdir(tmp_path)
    review = make_workspace(tmp_path)
    secure(review, [review / "records" / "probation.csv"], by="Sam Lee")
    log = review / LOG
    log.write_text(log.read_text().replace("Sam Lee", "Someone Else"))
    result = CliRunner().invoke(cli, ["chronology", "merge", "reviews/case", "-o", "m.csv"])
    assert result.exit_code == 1 and "[log-edited]" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "m.csv").exists()


def test_an_agency_checks_its_file_with_the_settings_review_toml_would_give(tmp_path,
                                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gp.csv").write_text("Seen on,What\n05/05/2015,Visit.\n31/02/2015,Call.\n")
    result = CliRunner().invoke(cli, ["chronology", "check", "gp.csv", "--source", "GP record",
                                      "--column", "Seen on=date", "--column", "What=event"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        'gp.csv:3:Seen on: error [date-invalid] "31/02/2015" is not a date: day 31 does not '
        "exist in February. Write it as DD/MM/YYYY (for example 05/01/2015), a month as MM/YYYY, "
        'or mark an uncertain date with "?" (for example ?22/05/2016).']
    assert result.stdout == "gp.csv: 1 events, 1 error, 0 warnings\n"


def test_a_mapping_names_the_file_s_headings_and_the_fields(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gp.csv").write_text("Seen on,Source,What\n05/05/2015,Nurse,Visit.\n")
    result = CliRunner().invoke(cli, ["chronology", "check", "gp.csv", "--column",
                                      "Seen=date", "--column", "What=details"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        'gp.csv:1: error [column-unknown] the heading "Seen" is mapped to "date", but the file '
        'has no such heading; its headings are "Seen on", "Source", "What". Correct the heading in '
        "the mapping, or remove it.",
        'gp.csv:1: error [column-field-unknown] the heading "What" is mapped to "details", which '
        "is not a field of a chronology. Map it to one of: ref, date, time, end_date, agency, "
        "source, event, action, significance, kind, comment."]


def test_a_column_option_without_a_field_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gp.csv").write_text("Date,Source,Event\n05/05/2015,GP,Visit.\n")
    result = CliRunner().invoke(cli, ["chronology", "check", "gp.csv", "--column", "Seen on"])
    assert result.exit_code == 2
    assert 'Invalid value for --column: "Seen on" is not HEADING=FIELD' in result.output
