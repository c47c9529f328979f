"""Word out: casereview build --docx writes each document as a .docx a reader opens in Word."""

from __future__ import annotations

import docx
import pytest
from click.testing import CliRunner

from casereview.build import build
from casereview.cli import cli
from casereview.model import load_review
from casereview.publish import LeakError, guard
from tests.conftest import copy_example


@pytest.fixture
def probation(tmp_path, monkeypatch):
    """The example case, its probation service's review the one built."""
    case = copy_example(tmp_path)
    monkeypatch.chdir(tmp_path)
    return case / "agencies" / "probation"


def text_of(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def test_build_docx_writes_a_word_file_for_every_document(probation, tmp_path):
    done = CliRunner().invoke(cli, ["build", str(probation), "--no-pdf", "--docx", "-o",
                                    str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    assert "Word: out/docx/management-review.docx" in done.output.splitlines()
    word = docx.Document(tmp_path / "out" / "docx" / "management-review.docx")
    section = word.sections[0]
    # The marking in every page's header and footer, and DRAFT until signed off.
    assert section.header.paragraphs[0].text == (
        "OFFICIAL-SENSITIVE · DRAFT: not signed off by the chief officer")
    assert section.footer.paragraphs[0].text.startswith("OFFICIAL-SENSITIVE · Version ")
    paragraphs = text_of(word)
    assert "DRAFT: not signed off by the chief officer" in paragraphs
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    for heading in ("What was our involvement with this child and family?",
                    "Analysis of involvement", "What do we learn from this case?",
                    "Recommendations for action"):
        assert heading in headings, heading
    # Paragraphs keep their numbers, so a recommendation's "paragraph 3.4" can be found.
    assert any(p.startswith("1.1 ") for p in paragraphs)
    # The title block, and the chronology as a real table whose heading row repeats.
    title_block, *rest = word.tables
    labels = [row.cells[0].text for row in title_block.rows]
    assert labels[:3] == ["Case", "Agency", "Child"] and "Statement of independence" in labels
    chronology = next(t for t in rest if t.rows[0].cells[0].text == "ID")
    assert [c.text for c in chronology.rows[0].cells] == [
        "ID", "Date", "Agency", "Source", "Event", "Action/outcome", "Kind"]
    assert chronology.rows[0]._tr.xpath("./w:trPr/w:tblHeader")
    assert len(chronology.rows) > 5
    assert word.core_properties.title


def test_word_paragraphs_flow_and_the_chronology_columns_fit_their_text(probation, tmp_path):
    build(probation, tmp_path / "out", pdf=False, docx=True)
    word = docx.Document(tmp_path / "out" / "docx" / "management-review.docx")
    # A paragraph is written over several lines in the Markdown; in Word it flows as one,
    # as in the HTML and the PDF (seen in LibreOffice: every source line had become a line).
    introduction = next(p for p in word.paragraphs if p.text.startswith("1.1 "))
    assert "\n" not in introduction.text
    assert "skull fracture. Mr R, the partner" in introduction.text
    # The chronology's seven columns are on landscape pages; the rest of the review on A4
    # portrait. The marking is on the landscape pages too.
    portrait, landscape, after = word.sections
    assert (round(portrait.page_width.cm, 1), round(portrait.page_height.cm, 1)) == (21, 29.7)
    assert landscape.page_width == portrait.page_height and after.page_width == portrait.page_width
    assert landscape.header.is_linked_to_previous
    # The columns are as wide as their text needs: an ID or a date is not squeezed onto
    # three lines while the event has the same narrow width.
    chronology = next(t for t in word.tables if t.rows[0].cells[0].text == "ID")
    widths = dict(zip((c.text for c in chronology.rows[0].cells),
                      (column.width for column in chronology.columns), strict=True))
    assert widths["Event"] > 2 * widths["ID"]
    assert widths["Date"] >= docx.shared.Cm(2)
    assert sum(widths.values()) <= docx.shared.Cm(29.7 - 2 * 2)
    # The legend above the table says bold IDs are events of high significance: they are.
    first_lines = {r.cells[0].paragraphs[0].runs[0].text: r.cells[0].paragraphs[0].runs[0].bold
                   for r in chronology.rows[1:]}
    assert first_lines["PRB-003"] and not first_lines["PRB-002"]


def test_a_public_word_copy_is_refused_when_it_names_the_child(probation, tmp_path):
    case = probation.parents[1]
    summary = case / "executive-summary.md"
    summary.write_text(summary.read_text() + "\nPoppy Ashdown attended nursery.\n")
    with pytest.raises(LeakError) as refused:
        build(case, tmp_path / "public", pdf=False, docx=True, edition="public")
    assert any(p.path.startswith("public html/") for p in refused.value.problems)
    assert not (tmp_path / "public").exists()  # nothing left behind


def test_the_public_word_copy_holds_only_public_documents_and_no_names(probation, tmp_path):
    case = probation.parents[1]
    built = build(case, tmp_path / "public", pdf=False, docx=True, edition="public")
    assert {p.name for p in built.docx} == {"executive-summary.docx", "briefing.docx"}
    for path in built.docx:
        word = docx.Document(path)
        assert "OFFICIAL-SENSITIVE" not in word.sections[0].header.paragraphs[0].text
        assert "Poppy" not in " ".join(text_of(word))


def test_a_name_anywhere_in_a_word_file_is_found(probation, tmp_path):
    # Even where a reader of the page would not see it: the file's properties.
    word = docx.Document()
    word.add_paragraph("A summary naming nobody.")
    word.core_properties.author = "Poppy Ashdown"
    (tmp_path / "scan").mkdir()
    word.save(tmp_path / "scan" / "summary.docx")
    with pytest.raises(LeakError) as refused:
        guard(tmp_path / "scan", load_review(probation.parents[1]).register)
    assert {p.path for p in refused.value.problems} == {"summary.docx"}
    assert "the Word file" in refused.value.problems[0].message


@pytest.mark.slow  # the example case signed off and received first, as the README's command does
def test_the_overview_reports_word_copy_holds_the_timeline_figure(built_example, tmp_path):
    built = build(built_example.case, tmp_path / "out", pdf=False, docx=True)
    overview = next(p for p in built.docx if p.name == "overview-report.docx")
    word = docx.Document(overview)
    # The timeline is a picture in the body, wide as the text, with its caption under it.
    pictures = word.inline_shapes
    assert len(pictures) == 1
    assert pictures[0].width > docx.shared.Cm(15)
    image_parts = [r.target_part for r in word.part.rels.values() if "image" in r.reltype]
    assert image_parts and image_parts[0].blob.startswith(b"\x89PNG")
    captions = [p.text for p in word.paragraphs if p.style.name == "Caption"]
    assert any(c.startswith("Contacts by agency.") for c in captions)
