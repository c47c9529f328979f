"""Action plans: every validation code, evidenced completion, history, and the board's register."""

from __future__ import annotations

import csv
import re
from datetime import date

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from casereview.actions import ActionError, history, load_plan, register, update
from casereview.cli import cli
from casereview.model import load_review
from tests.conftest import chronology_tables, make_workspace, pdf_pages

HEAD = ("Recommendation ID,Recommendation,Action ID,Action,Owner,Agency,Target date,"
        "Intended outcome,How reviewed,Status,RAG,Evidence,Last updated,Immediate,Source\n")
GOOD = [
    '1,Check every household change.,1.1,Add a mandatory check task.,Head of Operations,'
    'Probation,31/03/2020,Every change checked within 5 days.,Quarterly audit.,Complete,Green,'
    'Audit of 20 cases.,30/03/2020,yes,agency review',
    '1,,1.2,Audit 20 cases a quarter.,QA Manager,Probation,30/06/2020,95% checked.,Audit report.,'
    'In progress,Amber,,01/05/2020,no,agency review',
    '2,Train all officers.,2.1,Deliver training to all officers.,L&D Manager,Probation,'
    '30/04/2020,95% trained.,Training records.,In progress,Red,,01/04/2020,no,agency review',
    'B1,Share notices with probation.,B1.1,Agree a protocol.,Chief Officer,Police,01/04/2020,'
    'Every notice shared within 2 days.,Dip sample.,Not started,,,,no,overview report',
]


def write_plan(review, rows):
    (review / "actions.csv").write_text(HEAD + "\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture
def planned(workspace):
    write_plan(workspace, GOOD)
    return workspace


def messages(review):
    return [str(p) for p in load_plan(load_review(review)).problems]


def test_a_good_plan_has_no_problems(planned):
    plan = load_plan(load_review(planned))
    assert messages(planned) == []
    assert [a.values["action_id"] for a in plan.actions] == ["1.1", "1.2", "2.1", "B1.1"]
    assert plan.recommendations() == {"1": "Check every household change.",
                                      "2": "Train all officers.",
                                      "B1": "Share notices with probation."}


@pytest.mark.parametrize(("row", "expected"), [
    (GOOD[1].replace("QA Manager", ""),
     'reviews/case/actions.csv:3:Owner: error [action-owner-missing] the action has no owner. '
     "Name the person who leads it (a role is fine)."),
    (GOOD[1].replace("30/06/2020", ""),
     "reviews/case/actions.csv:3:Target date: error [action-target-missing] the action has no "
     "target date. Give the date it should be done by, as DD/MM/YYYY."),
    (GOOD[1].replace("30/06/2020", "01/02/2020"),
     'reviews/case/actions.csv:3:Target date: error [action-target-early] the target date '
     '"01/02/2020" is before the review was requested (02/03/2020). Check the date.'),
    (GOOD[1].replace("30/06/2020", "31/06/2020"),
     'reviews/case/actions.csv:3:Target date: error [action-date-invalid] "31/06/2020" is not '
     "a date: day 31 does not exist in June. Write it as DD/MM/YYYY (for example 05/01/2015), "
     'a month as MM/YYYY, or mark an uncertain date with "?" (for example ?22/05/2016).'),
    (GOOD[1].replace("In progress,Amber", "Complete,Amber"),
     "reviews/case/actions.csv:3:Evidence: error [action-no-evidence] the action is marked "
     "complete or Green but gives no evidence of completion. Say what shows it was done (an "
     "audit, a report, a record), or change its status."),
    (GOOD[1].replace("In progress,Amber", "In progress,Green"),
     "reviews/case/actions.csv:3:Evidence: error [action-no-evidence] the action is marked "
     "complete or Green but gives no evidence of completion. Say what shows it was done (an "
     "audit, a report, a record), or change its status."),
    (GOOD[1].replace("1,,1.2", "7,,1.2"),
     'reviews/case/actions.csv:3:Recommendation ID: error [action-recommendation-unknown] '
     'recommendation "7" is not given anywhere in the plan. Put the recommendation\'s text in '
     "the Recommendation column of one of its actions."),
    (GOOD[1].replace(",1.2,", ",1.1,"),
     'reviews/case/actions.csv:3:Action ID: error [action-duplicate] the action ID "1.1" is also '
     "used on row 2. Give each action its own ID."),
    (GOOD[1].replace("In progress", "Nearly done"),
     'reviews/case/actions.csv:3:Status: error [action-status-unknown] "Nearly done" is not a '
     "status. Use one of: Not started, In progress, Complete."),
    (GOOD[1].replace("Amber", "Purple"),
     'reviews/case/actions.csv:3:RAG: error [action-rag-unknown] "Purple" is not a RAG rating. '
     "Use Red (unacceptable progress), Amber (acceptable progress) or Green (achieved)."),
    (GOOD[1].replace(",no,", ",maybe,"),
     'reviews/case/actions.csv:3:Immediate: error [action-value-unknown] "maybe" is not yes or '
     "no. Write yes or no."),
    (GOOD[1].replace("Audit 20 cases a quarter.", "Consider auditing cases.").replace(
        "95% checked.", "Better practice."),
     'reviews/case/actions.csv:3:Action: warning [smart-vague] "Consider" is vague and the '
     "outcome gives no measure. Say what will be done and how it will be measured (SMART)."),
    (GOOD[1].replace("95% checked.", "Better practice."),
     "reviews/case/actions.csv:3:Intended outcome: warning [smart-unmeasured] the intended "
     "outcome has no measure. Say how much, how many or by when, so achievement can be "
     "checked."),
])
def test_each_validation_code(workspace, row, expected):
    write_plan(workspace, [GOOD[0], row, *GOOD[2:]])
    assert messages(workspace) == [expected]


def test_missing_columns(workspace):
    (workspace / "actions.csv").write_text("Action ID,Action\n1.1,Do it.\n")
    assert messages(workspace) == [
        f'reviews/case/actions.csv:1: error [action-column-missing] no column gives the "{c}". '
        f'Add a column headed "{c}".'
        for c in ("Recommendation ID", "Owner", "Target date", "Status")]


def test_action_id_missing(workspace):
    write_plan(workspace, [GOOD[0], GOOD[1].replace(",1.2,", ",,")])
    assert messages(workspace) == [
        "reviews/case/actions.csv:3:Action ID: error [action-id-missing] the action has no ID. "
        "Give it an ID such as 1.1 (recommendation 1, action 1)."
    ]


def test_update_refuses_completion_without_evidence(planned):
    review = load_review(planned)
    before = (planned / "actions.csv").read_bytes()
    with pytest.raises(ActionError) as caught:
        update([review], "1.2", status="Complete", by="Sam Lee")
    assert str(caught.value) == (
        'reviews/case/actions.csv:3: error [action-no-evidence] action "1.2" cannot be marked '
        'complete or Green without evidence of completion. Give --evidence "what shows it was '
        'done".')
    assert (planned / "actions.csv").read_bytes() == before
    assert history(review) == []


def test_history_survives_several_updates(planned):
    review = load_review(planned)
    update([review], "2.1", rag="Amber", by="Sam Lee", today=date(2020, 5, 1))
    update([review], "2.1", status="Complete", evidence="Training records: 96% trained.",
           rag="Green", by="Jo Bell", today=date(2020, 6, 1))
    entries = history(review)
    assert [(e["by"], e["field"], e["old"], e["new"]) for e in entries] == [
        ("Sam Lee", "RAG", "Red", "Amber"),
        ("Sam Lee", "Last updated", "01/04/2020", "01/05/2020"),
        ("Jo Bell", "Status", "In progress", "Complete"),
        ("Jo Bell", "RAG", "Amber", "Green"),
        ("Jo Bell", "Evidence", "", "Training records: 96% trained."),
        ("Jo Bell", "Last updated", "01/05/2020", "01/06/2020"),
    ]
    plan = load_plan(load_review(planned))
    assert plan.problems == []
    rows = list(csv.DictReader((planned / "actions.csv").read_text(encoding="utf-8-sig")
                               .splitlines()))
    assert rows[2]["Status"] == "Complete" and rows[2]["Evidence"].startswith("Training")
    assert rows[0] == dict(zip(HEAD.strip().split(","), next(csv.reader([GOOD[0]])),
                               strict=True))  # other rows untouched


def test_cli_update_and_list(planned):
    runner = CliRunner()
    result = runner.invoke(cli, ["actions", "update", "B1.1", "--status", "in progress",
                                 "--rag", "amber", "--by", "Business unit"])
    assert result.exit_code == 0, result.output
    assert result.output == "Action B1.1: In progress, RAG Amber; updated by Business unit.\n"
    overdue = runner.invoke(cli, ["actions", "list", "--overdue", "--on", "2020-05-15"])
    assert [line.split()[1] for line in overdue.output.splitlines() if
            line.startswith("reviews/")] == ["2.1", "B1.1"]
    assert overdue.output.splitlines()[-1] == "2 of 4 actions shown."
    soon = runner.invoke(cli, ["actions", "list", "--due-within", "50", "--on", "2020-05-15"])
    assert [line.split()[1] for line in soon.output.splitlines() if
            line.startswith("reviews/")] == ["1.2"]
    police = runner.invoke(cli, ["actions", "list", "--agency", "police"])
    assert "1 of 4 actions shown." in police.output
    missing = runner.invoke(cli, ["actions", "update", "9.9", "--status", "Complete", "--by",
                                  "X"])
    assert missing.exit_code == 1 and "[action-unknown]" in missing.output


@pytest.mark.slow
def test_register_figures_across_a_workspace(tmp_path, monkeypatch):
    """Two reviews with known counts; the report's tables must say exactly these numbers."""
    monkeypatch.chdir(tmp_path)
    first = make_workspace(tmp_path, name="first")
    second = make_workspace(tmp_path, name="second")
    write_plan(first, GOOD)
    write_plan(second, [GOOD[0].replace("Probation", "Health"),
                        GOOD[2].replace("Probation", "Health").replace("L&D Manager",
                                                                       "QA Manager")])
    figures = register([load_review(first), load_review(second)], date(2020, 5, 15))
    assert figures.by_rag_and_status()["In progress"] == {"Red": 2, "Amber": 1, "Green": 0,
                                                          "Not rated": 0}
    assert [a.values["action_id"] for a in figures.overdue()] == ["B1.1", "2.1", "2.1"]
    result = CliRunner().invoke(cli, ["actions", "report", "--on", "2020-05-15"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "_build/action-register/html/index.html").read_text()
    text = re.sub(r"<[^>]+>", " ", html)
    assert "As at 15 May 2020: 6 actions from 2 reviews; 2 complete, 4 open, 3 overdue." in \
        " ".join(text.split())
    tables = re.findall(r"<table.*?</table>", html, re.S)
    def rows(table):
        return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>",
                                                                        r, re.S)]
                for r in re.findall(r"<tr.*?</tr>", table, re.S)]
    assert rows(tables[0]) == [["Status", "Red", "Amber", "Green", "Not rated", "Total"],
                               ["Not started", "0", "0", "0", "1", "1"],
                               ["In progress", "2", "1", "0", "0", "3"],
                               ["Complete", "0", "0", "2", "0", "2"]]
    assert rows(tables[2]) == [["Agency", "Actions", "Complete", "Open", "Overdue"],
                               ["Health", "2", "1", "1", "1"],
                               ["Police", "1", "0", "1", "1"],
                               ["Probation", "3", "1", "2", "1"]]
    # The register holds case details: the reviews' protective marking on every page.
    assert re.findall(r'<div class="protective-marking[^"]*"[^>]*>([^<]*)</div>', html) == [
        "OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"]
    pages = pdf_pages(tmp_path / "_build/action-register/pdf/action-register.pdf")
    assert pages and all(page.count("OFFICIAL-SENSITIVE") == 2 for page in pages)
    assert chronology_tables(html) == []


@pytest.mark.slow
def test_the_register_prints_overdue_target_dates_whole(built_example, tmp_path, monkeypatch):
    """The example case's register: its long owner and agency names once squeezed the target
    column until "01/01/2017" showed as "01/01" with the status printed over the year."""
    monkeypatch.chdir(built_example.case.parent.parent)
    result = CliRunner().invoke(cli, ["actions", "report", "--on", "2017-05-01", "-o",
                                      str(tmp_path / "register")])
    assert result.exit_code == 0, result.output
    reviews = [load_review(built_example.case), load_review(built_example.case / "agencies" /
                                                            "probation")]
    targets = {f"{a.target:%d/%m/%Y}" for a in register(reviews, date(2017, 5, 1)).overdue()}
    placed = text_positions(tmp_path / "register" / "pdf" / "action-register.pdf")
    dates = [f for f in placed if f[0] in targets]
    assert targets and {f[0] for f in dates} == targets
    for text, x, y, size in dates:
        after = min(fx for ft, fx, fy, _ in placed if abs(fy - y) < 1 and fx > x)
        assert after - x > 0.45 * size * len(text), (text, x, after)


def text_positions(pdf) -> list[tuple[str, float, float, float]]:
    """Each piece of text pypdf finds in the PDF, with where it starts and its font size."""
    found = []
    for page in PdfReader(pdf).pages:
        def note(text, cm, tm, font, size):
            if text.strip():
                found.append((text.strip(), tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5],
                              size * tm[0] * cm[0]))
        page.extract_text(visitor_text=note)
    return found


@pytest.mark.parametrize("markings, expected", [
    ([], "OFFICIAL-SENSITIVE"),
    (["OFFICIAL", "OFFICIAL"], "OFFICIAL"),
    (["OFFICIAL", "OFFICIAL-SENSITIVE"], "OFFICIAL-SENSITIVE"),
    (["Official-Sensitive", "SECRET", "OFFICIAL"], "SECRET"),
    (["OFFICIAL", "RESTRICTED - Northshire"], "OFFICIAL / RESTRICTED - Northshire"),
])
def test_register_marking_is_the_most_protective(markings, expected):
    from types import SimpleNamespace

    from casereview.actions import register_marking

    assert register_marking([SimpleNamespace(marking=m) for m in markings]) == expected


@pytest.mark.slow
def test_example_plan_is_valid_and_shown_with_links(built_example):
    from tests.conftest import EXAMPLE

    plan = load_plan(load_review(EXAMPLE / "agencies" / "probation"))
    assert plan.problems == []
    states = {(a.values["status"], a.values.get("rag", "")) for a in plan.actions}
    assert {("Complete", "Green"), ("In progress", "Amber"), ("In progress", "Red"),
            ("Not started", "")} <= states
    html = (built_example.probation.html / "management-review.html").read_text()
    assert '<a class="reference internal" href="#action-1-1">1.1</a>' in html
    assert '<tr id="action-1-1">' in html
    assert '<span class="rag rag-red">Red</span> (unacceptable progress)' in html


@pytest.mark.slow
def test_register_shows_characters_the_pdf_cannot_print_and_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    review = make_workspace(tmp_path)
    write_plan(review, [GOOD[3].replace("Agree a protocol.", "Agree a protocol \U0001F91D.")])
    result = CliRunner().invoke(cli, ["actions", "report", "--on", "2020-05-15"])
    assert result.exit_code == 0, result.output
    assert ("action-register.pdf: warning [pdf-characters] 1 character cannot be printed in the "
            "PDF and is shown in a box as the Unicode code, such as \U0001F91D as U+1F91D "
            "HANDSHAKE.") in result.output
    pages = pdf_pages(tmp_path / "_build/action-register/pdf/action-register.pdf")
    assert "Agree a protocol U+1F91D HANDSHAKE ." in " ".join(" ".join(pages).split())


def test_register_without_tex_builds_html_and_says_what_to_install(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    write_plan(make_workspace(tmp_path), GOOD)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))
    done = subprocess.run([sys.executable, "-m", "casereview.cli", "actions", "report"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == (
        "error [tex-missing] LaTeX is not installed, so the PDFs were not made (the HTML was "
        "built in _build/action-register/html). Install it with: apt-get install latexmk "
        "texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended texlive-luatex "
        "tex-gyre fonts-noto-core fonts-dejavu-core make "
        "(as root, or with sudo in front).")
    assert (tmp_path / "_build/action-register/html/index.html").is_file()
