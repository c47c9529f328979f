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
