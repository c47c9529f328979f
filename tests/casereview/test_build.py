"""Building real review projects: what a chief officer reads in the PDF and the HTML."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from casereview.build import BuildError, build
from tests.conftest import EXAMPLE, chronology_tables, pdf_pages

FRAMEWORK_HEADINGS = (
    "What was our involvement with this child and family?",
    "Analysis of involvement",
    "What do we learn from this case?",
    "Recommendations for action",
)


def rows_in_records(folder: Path) -> int:
    """Count data rows the way a person would: non-blank rows under the heading row."""
    total = 0
    for path in sorted(folder.iterdir()):
        if path.suffix == ".csv":
            data = path.read_bytes()
            text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else None
            if text is None:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = data.decode("cp1252")
            rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
            total += len(rows) - 1
        elif path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path, read_only=True)
            rows = [r for r in book.worksheets[0].iter_rows(values_only=True) if any(c for c in r)]
            book.close()
            # Workbooks may carry a title row above the headings; the heading row has "Date".
            heading = next(i for i, r in enumerate(rows) if "Date" in r)
            total += len(rows) - heading - 1
    return total


def example_records():
    """Every records file of the example: the case's, its agencies' and the police's own."""
    return sorted({*EXAMPLE.glob("records/*"), *EXAMPLE.glob("agencies/*/records/*"),
                   *(EXAMPLE.parent / "example-police").glob("records/*")})


def test_example_ships_records_as_they_arrive():
    raw = {p.name: p.read_bytes() for p in example_records()}
    assert raw["police.csv"].startswith(b"\xef\xbb\xbf"), "one CSV is UTF-8 with a BOM"
    with pytest.raises(UnicodeDecodeError):
        raw["probation.csv"].decode("utf-8")  # exported from Excel on Windows
    assert "’".encode("cp1252") in raw["probation.csv"]
    assert any(name.endswith(".xlsx") for name in raw)
    assert len(raw) >= 4


TITLES = {"management-review": "Management review", "overview-report": "Overview report",
          "executive-summary": "Executive summary", "briefing": "Seven-minute briefing"}


@pytest.mark.slow
def test_every_page_of_every_pdf_has_marking_draft_and_footer(built_example):
    """The panel's drafts say DRAFT on every page; probation's signed-off review does not."""
    documents = [(pdf, "0.4", True) for pdf in built_example.built.pdfs]
    documents += [(pdf, "1.0", False) for pdf in built_example.probation.pdfs]
    assert sorted(pdf.stem for pdf, _, _ in documents) == sorted(TITLES)
    for pdf, version, draft in documents:
        pages = pdf_pages(pdf)
        for number, text in enumerate(pages, start=1):
            where = f"{pdf.name} page {number}"
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            assert ("DRAFT" in lines) is draft, f"{where}: DRAFT watermark should be {draft}"
            if draft:
                lines.remove("DRAFT")
            assert lines[0] == "OFFICIAL-SENSITIVE", f"{where} header"
            assert "OFFICIAL-SENSITIVE" in lines[-2:], f"{where} footer"
            assert f"{TITLES[pdf.stem]} | Version {version} | Page {number} of {len(pages)}" \
                in lines[-1], where


def review_pdf(example):
    return next(p for p in example.probation.pdfs if p.stem == "management-review")


@pytest.mark.slow
def test_pdfs_carry_their_title_author_subject_and_marking(built_example):
    overview = next(p for p in built_example.built.pdfs if p.stem == "overview-report")
    meta = PdfReader(overview).metadata
    assert (meta.title, meta.author, meta.subject) == (
        "Overview report", "Ruth Adeyemi", "Serious case review: Child P")
    assert meta["/Keywords"] == "OFFICIAL-SENSITIVE"
    probation = PdfReader(review_pdf(built_example)).metadata
    assert (probation.title, probation.author) == ("Management review", "Helen Marsh")


@pytest.mark.slow
def test_pdf_title_page_has_the_title_block(built_example):
    title_page = pdf_pages(review_pdf(built_example))[0]
    for expected in ("Management review: Northshire Probation Service",
                     "Case Serious case review: Child P",
                     "Agency Northshire Probation Service", "Child Child P",
                     "Date of request 18 July 2016", "Date records secured 19 July 2016",
                     "Author Helen Marsh, Head of Public Protection",
                     "Time span of the review 1 January 2015 to 30 June 2016",
                     "Statement of independence I had no involvement in this case"):
        assert expected in " ".join(title_page.split()), expected


@pytest.mark.slow
def test_pdf_has_the_four_framework_sections(built_example):
    body = " ".join(" ".join(pdf_pages(review_pdf(built_example))[2:]).split())
    positions = [body.find(heading) for heading in FRAMEWORK_HEADINGS]
    assert -1 not in positions, dict(zip(FRAMEWORK_HEADINGS, positions, strict=True))
    assert positions == sorted(positions)


@pytest.mark.slow
def test_html_chronology_has_one_row_per_record(built_example):
    """The overview's composite chronology: every agency's events, the police's from the
    package the panel received."""
    html = (built_example.built.html / "overview-report.html").read_text()
    tables = chronology_tables(html)
    (merged,) = [t for t in tables if t and t[0]["text"].startswith("Multi-agency")]
    events = [r for r in merged if "event" in r["class"].split()]
    folders = {path.parent for path in example_records()}
    assert len(events) == sum(rows_in_records(folder) for folder in folders) == 43
    assert {r["id"].split("-")[0] for r in events} == {"PRB", "POL", "CSC", "HLT", "NUR"}
    # The police's events keep the IDs the police's own chronology gave them.
    police = sorted(r["id"] for r in events if r["id"].startswith("POL-"))
    assert police == [f"POL-P-10{n}" for n in range(1, 9)]
    assert len({r["id"] for r in events}) == len(events)
    assert any("gap" in r["class"].split() for r in merged)


@pytest.mark.slow
def test_html_pages_carry_the_marking_and_draft_banner(built_example):
    for page in ("index.html", "overview-report.html"):
        html = (built_example.built.html / page).read_text()
        assert html.count('class="protective-marking') == 2, page
        assert ">OFFICIAL-SENSITIVE<" in html
        assert '<div class="draft-banner" role="note">DRAFT: not signed off by the panel chair' \
            in html, "the panel's documents wait for the panel chair, not a chief officer"


def test_html_escapes_agency_text(workspace):
    csv_path = workspace / "records" / "probation.csv"
    csv_path.write_text(csv_path.read_text() +
                        '4,01/06/2019,Case record,<script>alert(1)</script> note,None\n')
    result = build(workspace, pdf=False)
    html = (result.html / "management-review.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; note" in html


def test_broken_myst_fails_with_file_and_line(workspace):
    doc = workspace / "management-review.md"
    doc.write_text(doc.read_text() + "\n```{nonexistent}\n```\n")
    with pytest.raises(BuildError) as caught:
        build(workspace, pdf=False)
    assert [str(p) for p in caught.value.problems] == [
        "reviews/case/management-review.md:22: error [myst.directive_unknown] Unknown directive "
        "type: 'nonexistent'"
    ]
    # A second build of the same broken file must fail too (no cached pass).
    with pytest.raises(BuildError):
        build(workspace, pdf=False)


def test_failed_build_keeps_the_previous_output(workspace):
    first = build(workspace, pdf=False)
    before = (first.html / "management-review.html").read_text()
    doc = workspace / "management-review.md"
    doc.write_text(doc.read_text() + "\nNew text.\n\n```{nonexistent}\n```\n")
    with pytest.raises(BuildError):
        build(workspace, pdf=False)
    assert (first.html / "management-review.html").read_text() == before
    assert not [p for p in first.html.parent.iterdir() if p.name.startswith(".html-")]


def run_cli(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "casereview.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


@pytest.mark.slow
def test_cli_build_reports_paths(workspace):
    done = run_cli("build", "reviews/case", cwd=workspace.parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Building reviews/case",
        "  Reading reviews/case/review.toml…",
        "  Checking records (1 files)…",
        "  Building HTML…",
        "  Building LaTeX…",
        "  Typesetting management-review.pdf…",
        "HTML: _build/case/html/index.html",
        "PDF:  _build/case/pdf/management-review.pdf",
    ]
    pages = pdf_pages(workspace.parents[1] / "_build/case/pdf/management-review.pdf")
    assert all(p.split()[:2] == ["DRAFT", "OFFICIAL-SENSITIVE"] for p in pages)


def test_cli_without_tex_builds_html_and_says_what_to_install(workspace):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))
    done = run_cli("build", "reviews/case", cwd=workspace.parents[1], env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert ("error [tex-missing] LaTeX is not installed, so the PDFs were not made (the HTML "
            "was built in _build/case/html). Install it with: apt-get install latexmk "
            "texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended "
            "texlive-luatex tex-gyre fonts-noto-core fonts-dejavu-core make "
            "(as root, or with sudo in front).") in done.stderr
    assert (workspace.parents[1] / "_build/case/html/management-review.html").is_file()


def test_cli_bad_records_exit_1_without_traceback(workspace):
    (workspace / "records" / "probation.csv").write_text(
        "Ref,Date,Source of information,Event\n1,31/02/2019,Case record,Visit.\n"
        "2,05/13/2019,,Call.\n")
    done = run_cli("build", "reviews/case", cwd=workspace.parents[1])
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        'reviews/case/records/probation.csv:2:Date: error [date-invalid] "31/02/2019" is not a '
        "date: day 31 does not exist in February. Write it as DD/MM/YYYY (for example "
        '05/01/2015), a month as MM/YYYY, or mark an uncertain date with "?" (for example '
        "?22/05/2016).",
        'reviews/case/records/probation.csv:3:Date: error [date-invalid] "05/13/2019" is not a '
        "date: there is no month 13. Dates are read day first (UK): if you meant 13 May, write "
        "13/05/2019.",
        'reviews/case/records/probation.csv:3:Source of information: error [source-missing] '
        'the "Source of information" is empty. Say where this comes from: the record and the '
        "practitioner's role, for example \"Case notes, probation officer\".",
        "Stopped: 3 problems to fix.",
    ]


# Names as families write them: Polish, Romanian, Greek, Ukrainian, Vietnamese, Arabic, Urdu.
NAMES = ["Zofia Wiśniewska", "Ștefan Popescu", "Γιώργος Παπαδόπουλος", "Олена Коваленко",
         "Nguyễn Thị Hương"]
RIGHT_TO_LEFT = ["محمد", "عائشہ"]


@pytest.mark.slow
def test_names_in_any_script_print_as_themselves(workspace):
    csv_path = workspace / "records" / "probation.csv"
    rows = "".join(f'{5 + n},0{n + 1}/07/2019,Case record,"Home visit: {name} seen.",None\n'
                   for n, name in enumerate([*NAMES, *RIGHT_TO_LEFT]))
    csv_path.write_text(csv_path.read_text() + rows + '20,01/08/2019,Case record,'
                        '"Text read: sorry \U0001F622.",None\n', encoding="utf-8")
    result = build(workspace)
    (pdf,) = result.pdfs
    text = " ".join(" ".join(pdf_pages(pdf)).split())
    for name in NAMES:
        assert f"{name} seen." in text, name
    # Arabic and Urdu are shaped and set right to left. Read by where each letter is on the
    # page (pypdf's layout mode, as a PDF viewer's copy does), the names are as written, in
    # their letters' logical order; the plain mode gives the order the letters are drawn in.
    on_the_page = " ".join(" ".join(page.extract_text(extraction_mode="layout")
                                    for page in PdfReader(pdf).pages).split())
    for name in RIGHT_TO_LEFT:
        assert f"Home visit: {name} seen." in on_the_page, name
    # A character no installed font has still shows as its code, and is reported.
    assert "sorry U+1F622 CRYING FACE ." in text
    assert [str(n) for n in result.notes if n.code == "pdf-characters"] == [
        "management-review.pdf: warning [pdf-characters] 1 character cannot be printed in the "
        "PDF and is shown in a box as the Unicode code, such as \U0001F622 as U+1F622 CRYING "
        "FACE. The HTML shows the text as written; check the boxes read as meant."]


@pytest.mark.slow
def test_characters_pdflatex_cannot_print_are_shown_as_their_code(workspace):
    # A board whose conf.py keeps pdflatex: names outside its few scripts show as their codes.
    conf = workspace.parents[1] / "conf.py"
    conf.write_text(conf.read_text().replace('latex_engine = "lualatex"',
                                             'latex_engine = "pdflatex"'))
    # Records quote texts and names as written: an emoji, or a name in Greek or Arabic letters.
    csv_path = workspace / "records" / "probation.csv"
    csv_path.write_text(csv_path.read_text() + '4,01/06/2019,Case record,"Text read: '
                        'sorry \U0001F622; signed \u0391\u03bd\u03bd\u03b1 and \u0634\u0643\u0631.",'
                        "None\n", encoding="utf-8")
    result = build(workspace)
    (pdf,) = result.pdfs
    text = " ".join(" ".join(pdf_pages(pdf)).split())
    assert "sorry U+1F622 CRYING FACE ; signed U+0391 U+03BD U+03BD U+03B1 and U+0634 U+0643 " \
        "U+0631 ." in text
    html = (result.html / "management-review.html").read_text(encoding="utf-8")
    assert "sorry \U0001F622; signed \u0391\u03bd\u03bd\u03b1 and \u0634\u0643\u0631." in html
    assert [str(n) for n in result.notes if n.code == "pdf-characters"] == [
        "management-review.pdf: warning [pdf-characters] 7 characters cannot be printed in the "
        "PDF and are shown in a box as the Unicode code, such as \U0001F622 as U+1F622 CRYING "
        "FACE. The HTML shows the text as written; check the boxes read as meant."]


def test_a_chronology_filter_naming_no_agency_fails_the_build_naming_the_agencies(workspace):
    doc = workspace / "management-review.md"
    doc.write_text(doc.read_text() + "\n```{chronology}\n:agencies: Police\n```\n")
    with pytest.raises(BuildError) as caught:
        build(workspace, pdf=False)
    assert [str(p) for p in caught.value.problems] == [
        "reviews/case/management-review.md:22: error [casereview.chronology-filter] the "
        "chronology's :agencies: names \"Police\", which no record comes from; the agencies are "
        "\"Probation\" (PRB). Write an agency's name or code as review.toml gives it."]


@pytest.mark.parametrize("text, code", [
    ('<script>alert("x")</script>\n', "raw-refused"),
    ('<img src="x" onerror="alert(1)">\n', "raw-refused"),
    ("```{raw} html\n<b>bold</b>\n```\n", "raw-refused"),
    ("```{raw} latex\n\\input{/etc/passwd}\n```\n", "raw-refused"),
    ("```{include} ../../../../../../../../etc/passwd\n```\n", "include-outside"),
    ("```{literalinclude} ../../../../../../../../etc/passwd\n```\n", "include-outside"),
])
def test_raw_markup_and_files_from_outside_the_workspace_are_refused(workspace, text, code):
    doc = workspace / "management-review.md"
    doc.write_text(doc.read_text() + "\n" + text)
    with pytest.raises(BuildError) as caught:
        build(workspace, pdf=False)
    assert [p.code for p in caught.value.problems] == [f"casereview.{code}"]
    assert caught.value.problems[0].path == "reviews/case/management-review.md"
    assert not (workspace.parent.parent / "_build" / "case" / "html").exists()


def test_a_board_may_allow_raw_markup_in_conf_py(workspace):
    conf = workspace.parent.parent / "conf.py"
    conf.write_text(conf.read_text() + "\ncasereview_allow_raw = True\n")
    doc = workspace / "management-review.md"
    doc.write_text(doc.read_text() + '\n<span class="board-logo">Board</span>\n')
    html = (build(workspace, pdf=False).html / "management-review.html").read_text()
    assert '<span class="board-logo">Board</span>' in html


def test_refused_markup_and_includes_say_what_and_where(workspace):
    doc = workspace / "management-review.md"
    doc.write_text(doc.read_text() + '\n<script>alert("x")</script>\n\n'
                   "```{include} ../../../../../../../../etc/passwd\n```\n")
    with pytest.raises(BuildError) as caught:
        build(workspace, pdf=False)
    assert [str(p) for p in caught.value.problems] == [
        "reviews/case/management-review.md:22: error [casereview.raw-refused] raw html is not "
        "allowed in a review's documents: write it in Markdown, or ask the board to set "
        "casereview_allow_raw = True in conf.py.",
        'reviews/case/management-review.md: error [casereview.include-outside] "/etc/passwd" is '
        "outside the workspace, so it cannot be included: copy the file into the review's "
        "folder."]


def test_records_with_headings_but_no_events_build(workspace):
    # Once a KeyError ('date_start') from finding the gaps in no events at all.
    (workspace / "records" / "probation.csv").write_text("Ref,Date,Source,Event\n")
    result = build(workspace, pdf=False)
    assert [n.code for n in result.notes] == ["rows-missing"]
    assert "<table" in (result.html / "management-review.html").read_text()
