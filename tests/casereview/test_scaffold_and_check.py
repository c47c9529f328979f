"""From casereview new to a clean check: the nominated reviewer's whole path, and every finding."""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest
from click.testing import CliRunner

from casereview.build import BuildError, build
from casereview.check import check_review
from casereview.cli import cli
from casereview.records import secure
from casereview.reviewtype import load_type
from casereview.scaffold import NewReview, create
from tests.conftest import ROOT, make_workspace, pdf_pages

# The management-review framework's four sections, as the serious case review type declares them.
SECTIONS = [s for s in load_type("scr").agency_document.sections if s.required]

DETAILS = NewReview(slug="child-q", title="Management review: Child Q",
                    agency="Westshire Probation", child="Child Q", panel="Westshire SCB",
                    requested=date(2017, 3, 1), period_start=date(2016, 1, 1),
                    period_end=date(2016, 12, 31), reviewer="Pat Dunn",
                    reviewer_role="Head of Quality", chief_officer="Lee Cole",
                    chief_officer_role="Chief Officer")
OPTIONS = ["--agency", "Westshire Probation", "--child", "Child Q", "--panel", "Westshire SCB",
           "--requested", "2017-03-01", "--period-start", "2016-01-01", "--period-end",
           "2016-12-31", "--reviewer", "Pat Dunn", "--reviewer-role", "Head of Quality",
           "--chief-officer", "Lee Cole", "--chief-officer-role", "Chief Officer"]
ON_TIME = date(2017, 3, 1)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "conf.py", tmp_path / "conf.py")
    return tmp_path


def squash(text: str) -> str:
    """Text as a reader compares it: spacing folded, typographic quotes as plain ones."""
    return " ".join(text.replace("’", "'").replace("“", '"').replace("”", '"').split())


def fill_in(review):
    """Do what the reviewer does: answer everything, add a record file, secure the records."""
    for name in ("management-review.md", "review.toml"):
        path = review / name
        path.write_text(re.sub(r"\[\[[^\]]*\s[^\]]*\]\]", "Written by the reviewer.",
                               path.read_text()))
    (review / "records" / "probation.csv").write_text(
        "Ref,Date,Source of information,Event,Outcome\n"
        "1,05/01/2016,Case record,Induction appointment.,Plan agreed.\n")
    with (review / "review.toml").open("a") as toml:
        toml.write('\n[[records]]\nagency = "Probation"\nfile = "records/probation.csv"\n')
    secure(review, [review / "records" / "probation.csv"], by="Lee Cole")


def codes(problems):
    return [p.code for p in problems]


@pytest.mark.slow
def test_new_then_build_gives_a_draft_with_every_heading_question_and_guidance(workspace):
    result = CliRunner().invoke(cli, ["new", "review", *OPTIONS])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Created reviews/child-q"
    built = build("reviews/child-q")
    text = squash(" ".join(pdf_pages(built.pdfs[0])))
    for section in SECTIONS:
        assert squash(section.heading) in text
        assert squash(section.guidance)[:60] in text
        for question in section.questions:
            assert squash(question.heading) in text
            assert squash(question.guidance) in text
    assert text.count("Guidance for the writer") == 4 + 9 + 3
    assert "[[Answer this question.]]" in text
    html = (built.html / "management-review.html").read_text()
    assert html.count('class="guidance') >= 16


@pytest.mark.slow
def test_filled_review_checks_clean_and_final_build_has_no_guidance(workspace):
    review = create(workspace, DETAILS)
    fill_in(review)
    problems = check_review(review, today=ON_TIME)
    assert [str(p) for p in problems] == []
    final = build(review, final=True)
    text = squash(" ".join(pdf_pages(final.pdfs[0])))
    assert "Guidance for the writer" not in text
    for section in SECTIONS:
        assert squash(section.guidance)[:40] not in text
        assert squash(section.heading) in text
    assert "Guidance" not in (final.html / "management-review.html").read_text()
    result = CliRunner().invoke(cli, ["check", "reviews/child-q", "--on", "2017-03-01"])
    assert result.exit_code == 0 and result.output == "Ready for sign-off: 0 errors, 0 warnings.\n"


def test_new_refuses_to_overwrite(workspace):
    create(workspace, DETAILS)
    before = (workspace / "reviews/child-q/management-review.md").read_text()
    result = CliRunner().invoke(cli, ["new", "review", *OPTIONS])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "reviews/child-q: error [review-exists] a review folder of that name already exists; "
        "nothing was changed. Choose another name with --slug.",
        "Stopped: 1 problem to fix.",
    ]
    assert (workspace / "reviews/child-q/management-review.md").read_text() == before


def test_new_without_a_terminal_names_the_missing_values(workspace):
    result = CliRunner().invoke(cli, ["new", "review", "--agency", "Westshire Probation"])
    assert result.exit_code == 2
    assert "these values are needed: --child, --panel, --requested, --period-start, " \
           "--period-end, --reviewer, --reviewer-role, --chief-officer, --chief-officer-role" \
           in result.output
    assert not (workspace / "reviews").exists()


def test_new_asks_at_a_terminal(workspace, monkeypatch):
    monkeypatch.setattr("casereview.cli._interactive", lambda: True)
    answers = "\n".join(OPTIONS[1::2]) + "\n"
    result = CliRunner().invoke(cli, ["new", "review"], input=answers)
    assert result.exit_code == 0, result.output
    assert "The child's pseudonym (never the real name):" in result.output
    assert (workspace / "reviews/child-q/review.toml").is_file()


def test_new_takes_dates_as_people_type_them(workspace):
    uk = [("15/01/2016" if v == "2016-01-01" else "01/03/2017" if v == "2017-03-01" else v)
          for v in OPTIONS]
    result = CliRunner().invoke(cli, ["new", "review", *uk])
    assert result.exit_code == 0, result.output
    text = (workspace / "reviews/child-q/review.toml").read_text()
    assert "requested = 2017-03-01" in text and "start = 2016-01-15" in text


def test_new_asks_again_after_a_bad_date_and_reads_piped_answers(workspace):
    answers = OPTIONS[1::2]
    answers[3] = "31/02/2017\n01/03/2017"  # a bad "requested" date, then a good one
    result = CliRunner().invoke(cli, ["new", "review"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert ('Error: "31/02/2017" is not a day: day 31 does not exist in February. Write it as '
            "DD/MM/YYYY or YYYY-MM-DD, for example 15/01/2016.") in result.output
    assert (workspace / "reviews/child-q/review.toml").is_file()


def test_status_on_a_uk_date_and_a_bad_one(workspace):
    create(workspace, DETAILS)
    assert CliRunner().invoke(cli, ["status", "reviews/child-q", "--on", "15/01/2017"]
                              ).exit_code == 0
    result = CliRunner().invoke(cli, ["status", "reviews/child-q", "--on", "15/13/2017"])
    assert result.exit_code == 2
    assert ("Invalid value for '--on': \"15/13/2017\" is not a day: there is no month 13. "
            "Write it as DD/MM/YYYY or YYYY-MM-DD, for example 15/01/2016.") in result.output


def test_board_templates_override_the_shipped_ones(workspace):
    (workspace / "templates").mkdir()
    (workspace / "templates" / "index.md.j2").write_text("# {{ title }}\n\nNorthshire LSCB "
                                                         "house style for {{ child }}.\n")
    review = create(workspace, DETAILS)
    assert (review / "index.md").read_text() == ("# Management review: Child Q\n\nNorthshire "
                                                 "LSCB house style for Child Q.\n")
    assert "## Analysis of involvement" in (review / "management-review.md").read_text()


# --- every check code ------------------------------------------------------------------------

@pytest.fixture
def filled(workspace):
    review = create(workspace, DETAILS)
    fill_in(review)
    return review


def edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_placeholder_left(filled):
    edit(filled / "management-review.md", "Written by the reviewer.", "[[Write the introduction.]]")
    assert [str(p) for p in check_review(filled, today=ON_TIME)] == [
        'reviews/child-q/management-review.md:13: error [placeholder-left] template text is '
        'still here: "[[Write the introduction.]]" Replace it with your own text.'
    ]


def test_question_unanswered_and_missing_and_section_missing(filled):
    doc = filled / "management-review.md"
    text = doc.read_text()
    question = SECTIONS[1].questions[6].heading
    start = text.index(f"### {question}")
    answer = text.index("Written by the reviewer.", start)
    doc.write_text(text[:answer] + text[answer + len("Written by the reviewer."):])
    edit(doc, f"### {SECTIONS[1].questions[2].heading}", "### Key points")
    edit(doc, "## What do we learn from this case?", "## Lessons")
    assert [str(p) for p in check_review(filled, today=ON_TIME)] == [
        f'reviews/child-q/management-review.md:47: error [question-missing] the question '
        f'"{SECTIONS[1].questions[2].heading}" is missing. Add it as a ### heading under '
        '"Analysis of involvement".',
        "reviews/child-q/management-review.md:105: error [question-unanswered] this question has "
        f'no answer yet: "{question}" Write the answer below the question.',
        'reviews/child-q/management-review.md: error [section-missing] the section "What do we '
        'learn from this case?" is missing. Add it as a ## heading; the serious case review\'s '
        "management review asks for four sections.",
    ]


def test_chronology_and_title_block_missing(filled):
    toml = filled / "review.toml"
    edit(toml, '\n[[records]]\nagency = "Probation"\nfile = "records/probation.csv"\n', "")
    edit(toml, 'terms_of_reference = "Written by the reviewer."\n', "")
    doc = filled / "management-review.md"
    doc.write_text(re.sub(r"```\{chronology\}.*?```\n", "", doc.read_text(), flags=re.S))
    found = [str(p) for p in check_review(filled, today=ON_TIME)]
    assert found == [
        "reviews/child-q/management-review.md: error [chronology-missing] the management review "
        'does not show the chronology. Add a ```{chronology}``` block under "What was our '
        'involvement with this child and family?".',
        "reviews/child-q/review.toml:terms_of_reference: error [title-block-missing] the terms "
        'of reference is not given. Add terms_of_reference = "..." to review.toml.',
        "reviews/child-q/review.toml: error [chronology-missing] no record files are listed, so "
        "there is no chronology. Add a [[records]] entry for each agency's file.",
    ]


def test_reviewer_named_as_practitioner_or_source(filled):
    edit(filled / "review.toml", "case_practitioners = []", 'case_practitioners = ["pat dunn"]')
    records = filled / "records" / "probation.csv"
    records.write_text(records.read_text() + "2,06/01/2016,Supervision note by Pat Dunn,Case "
                       "discussed.,Check requested.\n")
    found = [str(p) for p in check_review(filled, today=ON_TIME) if p.code == "reviewer-involved"]
    assert found == [
        "reviews/child-q/review.toml:case_practitioners: error [reviewer-involved] the nominated "
        "reviewer, Pat Dunn, is listed among the case's practitioners and managers. The reviewer "
        "must have had no involvement in the case and no line management of those involved; the "
        "chief officer should nominate someone else.",
        "reviews/child-q/records/probation.csv:3:Source of information: error [reviewer-involved] "
        "the nominated reviewer, Pat Dunn, is named as a source of information on the case. The "
        "reviewer must have had no involvement in the case; the chief officer should nominate "
        "someone else.",
    ]


def test_records_unsecured_or_altered(filled):
    secured = next((filled / "secured").iterdir())
    (secured / "data" / "probation.csv").unlink()
    assert [str(p) for p in check_review(filled, today=ON_TIME)] == [
        f'reviews/child-q/secured/{secured.name}: error [record-missing] "probation.csv" has '
        "been deleted or renamed."
    ]


def test_records_never_secured(workspace):
    review = create(workspace, DETAILS)
    fill_in(review)
    for path in sorted((review / "secured").rglob("*"), reverse=True):
        path.chmod(0o700) if path.is_dir() else path.chmod(0o600)
    shutil.rmtree(review / "secured")
    (review / "custody.jsonl").unlink()
    assert [str(p) for p in check_review(review, today=ON_TIME)] == [
        "reviews/child-q: error [records-unsecured] no records have been secured for this "
        "review. Secure them with casereview records secure."
    ]
    edit(review / "review.toml", "# records_secured = 2016-07-19", "records_secured = 2017-03-02")
    assert [str(p) for p in check_review(review, today=ON_TIME)] == [
        "reviews/child-q: warning [records-unverifiable] the records were secured on 2 March 2017 "
        "outside casereview, so they cannot be verified here. Secure copies with casereview "
        "records secure if they should be verifiable."
    ]


def test_dangling_citation(filled):
    edit(filled / "management-review.md", "## Recommendations for action\n",
         "## Recommendations for action\n\nAs {para}`missed-check` shows.\n")
    assert [str(p) for p in check_review(filled, today=ON_TIME)] == [
        'reviews/child-q/management-review.md:142: error [casereview.para-missing] the citation '
        'of paragraph "missed-check" has no matching labelled paragraph; label one with '
        "(missed-check)= on the line before it"
    ]


def test_deadline_passed_is_a_warning_and_strict_fails(filled):
    found = [str(p) for p in check_review(filled, today=date(2017, 9, 5))]
    assert found == [
        "reviews/child-q: warning [deadline-passed] Overview report was due on 1 September 2017 "
        "and is not done. Agree a new date with the panel, or record the date it was done under "
        "[milestones] in review.toml.",
        "reviews/child-q: warning [deadline-passed] Published was due on 1 September 2017 and is "
        "not done. Agree a new date with the panel, or record the date it was done under "
        "[milestones] in review.toml.",
    ]
    runner = CliRunner()
    assert runner.invoke(cli, ["check", "reviews/child-q", "--on", "2017-09-05"]).exit_code == 0
    strict = runner.invoke(cli, ["check", "reviews/child-q", "--on", "2017-09-05", "--strict"])
    assert strict.exit_code == 1 and "Not ready: 0 errors, 2 warnings." in strict.output


# --- numbered paragraphs -----------------------------------------------------------------------

@pytest.mark.slow
def test_paragraphs_are_numbered_and_cited(filled):
    doc = filled / "management-review.md"
    text = doc.read_text()
    marker = "## Analysis of involvement"
    start = text.index("Written by the reviewer.", text.index(marker))
    doc.write_text(text[:start] + "(key-finding)=\nThe check was never made." +
                   text[start + len("Written by the reviewer."):])
    edit(doc, "## Recommendations for action\n", "## Recommendations for action\n\n"
         "Following {para}`key-finding`, make the check mandatory.\n")
    built = build(filled)
    html = (built.html / "management-review.html").read_text()
    assert '<span class="para-number">3.1 </span>The check was never made.' in html
    assert re.search(r'href="#para-3-1"[^>]*>paragraph 3.1</a>, make the check mandatory', html)
    text = squash(" ".join(pdf_pages(built.pdfs[0])))
    assert "3.1 The check was never made." in text
    assert "Following paragraph 3.1, make the check mandatory." in text


def test_dangling_citation_fails_the_build(filled):
    edit(filled / "management-review.md", "## Recommendations for action\n",
         "## Recommendations for action\n\nAs {para}`nowhere` shows.\n")
    with pytest.raises(BuildError) as caught:
        build(filled, pdf=False)
    assert [p.code for p in caught.value.problems] == ["casereview.para-missing"]
    assert caught.value.problems[0].row == 142


@pytest.mark.slow
def test_the_date_records_were_secured_reaches_the_title_block(filled):
    secured = next((filled / "secured").iterdir()).name[:10]  # e.g. 2026-11-23
    day = date.fromisoformat(secured)
    title_page = squash(pdf_pages(build(filled, final=True).pdfs[0])[0])
    assert f"Date records secured {day.day} {day:%B %Y}" in title_page


def test_records_with_headings_but_no_events_are_not_ready_for_sign_off(workspace):
    review = make_workspace(workspace)
    (review / "records" / "probation.csv").write_text("Ref,Date,Source,Event\n")
    problems = [str(p) for p in check_review(review)]
    assert ("reviews/case/review.toml: error [chronology-empty] the record files hold no events, "
            "so the review has no chronology of the agency's involvement. Add the events to the "
            "records files, one row each.") in problems
