"""Public documents: pseudonyms everywhere, and a guard that refuses any registered identifier."""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest
from click.testing import CliRunner

from casereview.build import BuildError, build
from casereview.cli import cli
from casereview.model import load_review
from casereview.publish import LeakError, Person, Register, guard
from chronology.problems import CaseReviewError
from tests.conftest import EXAMPLE, chronology_tables, pdf_pages

REGISTER = """
[publication]
public_marking = ""

[[people]]
role = "child"
publish_as = "Child T"
names = ["Tilly Marsh", "Tilly"]
identifiers = [2017-06-05, "7 Larch Close"]

[[people]]
role = "mother"
publish_as = "Mother"
names = ["Joanne Marsh", "Jo"]
"""
PUBLIC_DOC = """# Executive summary

## Introduction

The review concerns {person}`child` and {person}`mother`.

## Summary of events

SENTENCE

## Recommendations

Share information.
"""


@pytest.fixture
def public_review(workspace):
    """The minimal review with a people register and one public document."""
    toml = workspace / "review.toml"
    text = toml.read_text().replace('[[documents]]', '[[documents]]\nsource = '
                                    '"executive-summary.md"\ntitle = "Executive summary"\n'
                                    'public = true\n\n[[documents]]', 1)
    toml.write_text(text + REGISTER)
    (workspace / "executive-summary.md").write_text(PUBLIC_DOC.replace("SENTENCE", "Nothing."))
    return workspace


def plant(review, sentence):
    (review / "executive-summary.md").write_text(PUBLIC_DOC.replace("SENTENCE", sentence))


@pytest.mark.slow
def test_clean_public_build(public_review):
    result = build(public_review, edition="public")
    assert [p.name for p in result.pdfs] == ["executive-summary.pdf"]
    text = " ".join(pdf_pages(result.pdfs[0]))
    assert "The review concerns Child T and Mother." in " ".join(text.split())
    assert "OFFICIAL-SENSITIVE" not in text
    assert not (result.html / "management-review.html").exists()
    assert str(result.html).endswith("_build/case-public/html")


@pytest.mark.parametrize(("sentence", "entry"), [
    ("Tilly Marsh went to nursery.", 'people[1] ("Child T"), name 1'),
    ("Staff called her Jo at the door.", 'people[2] ("Mother"), name 2'),
    ("Tilly's coat was found.", 'people[1] ("Child T"), name 2'),
    ("She was born on 5th June 2017.", 'people[1] ("Child T"), identifier 1'),
    ("The family lived at 7 Larch Close.", 'people[1] ("Child T"), identifier 2'),
])
def test_each_planted_identifier_fails_the_build_with_its_location(public_review, sentence,
                                                                     entry):
    plant(public_review, sentence)
    with pytest.raises(LeakError) as caught:
        build(public_review, edition="public")
    messages = [str(p) for p in caught.value.problems]
    assert (f'public html/executive-summary.html: error [identifier-leak] section "Summary of '
            f'events" contains {entry} from the people register. Use its pseudonym ({{person}} '
            "role) or remove it.") in messages
    for message in messages:  # the log never repeats what it found
        assert not re.search(r"Tilly|Larch|Jo\b|2017|June", message)
    assert not (public_review.parents[1] / "_build" / "case-public" / "html").exists()


@pytest.mark.slow
def test_pdf_leaks_are_reported_by_page(public_review, tmp_path):
    plant(public_review, "Her daughter Tilly\nMarsh started school.")
    pdf = build(public_review, pdf=True).pdfs  # the restricted edition is not guarded
    summary = [p for p in pdf if p.name == "executive-summary.pdf"][0]
    folder = tmp_path / "check"
    folder.mkdir()
    shutil.copy(summary, folder)
    with pytest.raises(LeakError) as caught:
        guard(folder, load_review(public_review).register)
    assert [str(p) for p in caught.value.problems] == [
        'executive-summary.pdf: error [identifier-leak] page 2 contains people[1] ("Child T"), '
        "name 1 from the people register. Use its pseudonym ({person} role) or remove it.",
        'executive-summary.pdf: error [identifier-leak] page 2 contains people[1] ("Child T"), '
        "name 2 from the people register. Use its pseudonym ({person} role) or remove it.",
    ]


def test_names_split_across_lines_and_hyphenated():
    register = Register([Person("mother", "Mother", ("Joanne Marsh",))])
    from casereview.publish import _scan

    secrets = register.secrets()
    assert _scan("seen with Joanne\n  Marsh today", secrets)
    assert _scan("seen with Jo-\nanne Marsh today", secrets)
    assert not _scan("Joannes Marshall", secrets)


def test_dates_in_any_spelling():
    from casereview.publish import _scan

    secrets = Register([Person("child", "Child", (), (date(2017, 6, 5),))]).secrets()
    for written in ("05/06/2017", "5/6/17", "5.6.2017", "2017-06-05", "5 June 2017",
                    "5th Jun 2017", "June 5, 2017", "05-06-17"):
        assert _scan(f"born {written}.", secrets), written
    for other in ("06/05/2017", "15/06/2017", "5 July 2017", "2017-06-15"):
        assert not _scan(f"born {other}.", secrets), other


def test_restricted_edition_shows_names_or_pseudonyms_by_setting(public_review):
    html = (build(public_review, pdf=False).html / "executive-summary.html").read_text()
    assert "The review concerns Child T and Mother." in html
    toml = public_review / "review.toml"
    toml.write_text(toml.read_text().replace('public_marking = ""',
                                             'public_marking = ""\nrestricted_names = "names"'))
    html = (build(public_review, pdf=False).html / "executive-summary.html").read_text()
    assert "The review concerns Tilly Marsh and Joanne Marsh." in html


def test_unknown_person_role_fails(public_review):
    plant(public_review, "And {person}`father` too.")
    with pytest.raises(BuildError) as caught:
        build(public_review, pdf=False)
    assert [str(p) for p in caught.value.problems] == [
        "reviews/case/executive-summary.md:9: error [casereview.person-unknown] no one in the "
        'people register has the role "father" (roles: child, mother)'
    ]


# --- the shipped example ------------------------------------------------------------------------

def forbidden(review) -> list[str]:
    """Every registered name and identifier, spelt simply, checked without the guard's code."""
    words = []
    for person in review.people:
        words += [n.lower() for n in person.get("names", [])]
        for identifier in person.get("identifiers", []):
            if isinstance(identifier, date):
                words += [f"{identifier:%d/%m/%Y}", identifier.isoformat(),
                          f"{identifier.day} {identifier:%B %Y}".lower()]
            else:
                words.append(identifier.lower())
    return words


@pytest.fixture(scope="module")
def example_public(built_example, tmp_path_factory):
    return build(built_example.case, tmp_path_factory.mktemp("public"), edition="public")


@pytest.mark.slow
def test_example_public_edition_contains_no_identifier(example_public):
    review = load_review(EXAMPLE)
    words = forbidden(review)
    assert len(words) >= 12
    assert sorted(p.name for p in example_public.pdfs) == ["briefing.pdf",
                                                           "executive-summary.pdf"]
    texts = [" ".join(" ".join(pdf_pages(p)).split()).lower() for p in example_public.pdfs]
    texts += [p.read_text().lower() for p in example_public.html.rglob("*.html")]
    for text in texts:
        for word in words:
            assert not re.search(rf"\b{re.escape(word)}\b", text), word
    summary = (example_public.html / "executive-summary.html").read_text()
    (table,) = chronology_tables(summary)
    assert any("Mr R" in row["text"] for row in table)  # pseudonymised, not dropped


@pytest.mark.slow
def test_example_briefing_has_exactly_seven_numbered_parts(example_public):
    html = (example_public.html / "briefing.html").read_text()
    parts = re.findall(r"<h2>(\d)\. ", html)
    assert parts == ["1", "2", "3", "4", "5", "6", "7"]


@pytest.mark.slow
def test_example_builds_every_document_in_the_restricted_edition(built_example):
    assert sorted(p.name for p in built_example.built.pdfs) == [
        "briefing.pdf", "executive-summary.pdf", "overview-report.pdf"]
    overview = " ".join(" ".join(pdf_pages(built_example.built.html.parent / "pdf" /
                                           "overview-report.pdf")).split())
    assert "see paragraph 4.1" in overview and "see paragraph 4.2" in overview


def test_cli_edition(workspace):
    result = CliRunner().invoke(cli, ["build", "reviews/case", "--edition", "public", "--no-pdf"])
    assert result.exit_code == 1
    assert "[edition-empty] no document is marked for the public edition." in result.output


def test_public_build_refuses_an_empty_register(public_review):
    toml = public_review / "review.toml"
    toml.write_text(re.sub(r'names = \[.*\]', "names = []",
                           re.sub(r"identifiers = \[.*\]", "identifiers = []", toml.read_text())))
    with pytest.raises(BuildError) as caught:
        build(public_review, edition="public", pdf=False)
    assert [p.code for p in caught.value.problems] == ["register-empty"]
    from casereview.check import check_review
    assert "register-empty" in [p.code for p in check_review(public_review)]


def test_add_documents_from_templates(workspace):
    runner = CliRunner()
    for kind in ("overview-report", "executive-summary", "briefing"):
        result = runner.invoke(cli, ["add", "reviews/case", kind])
        assert result.exit_code == 0, result.output
    again = runner.invoke(cli, ["add", "reviews/case", "briefing"])
    assert again.exit_code == 1 and "[document-exists]" in again.output
    review = load_review(workspace)
    assert [(d.stem, d.public) for d in review.documents] == [
        ("management-review", False), ("overview-report", False), ("executive-summary", True),
        ("briefing", True)]
    briefing = (workspace / "briefing.md").read_text()
    assert re.findall(r"^## (\d)\. ", briefing, re.M) == ["1", "2", "3", "4", "5", "6", "7"]
    summary = (workspace / "executive-summary.md").read_text()
    assert [h for h in re.findall(r"^## (.+)$", summary, re.M)] == [
        "Introduction", "Summary of events", "Key issues and themes",
        "Priorities for learning and change", "Recommendations"]


def tiny_png(path):
    """A one-pixel PNG, for documents that show a picture."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0,
                                                                       0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


#: Each a way a registered name or identifier has reached, or could reach, a public page.
LEAKS = {
    "alt text": "![Tilly Marsh at nursery](photo.png)",
    "link URL": "See [the report](https://example.invalid/reports/tilly-marsh.html).",
    "link URL, escaped": "See [the report](https://example.invalid/?q=Tilly%20Marsh).",
    "HTML comment": "<!-- Tilly Marsh -->\nNothing to add.",
    "zero-width space": "Til\u200bly Mar\u200bsh went to nursery.",
    "Cyrillic look-alike": "T\u0456lly Marsh went to nursery.",
    "Greek look-alike": "\u03a4illy Marsh went to nursery.",
    "US order, month named": "She was born on June 5th, 2017.",
    "address punctuation": "The family lived at 7, Larch-Close.",
    "address case": "The family lived at 7 LARCH CLOSE.",
    "full-width letters": "\uff34\uff49\uff4c\uff4c\uff59 Marsh went to nursery.",
    "soft hyphen": "Til\u00adly Marsh went to nursery.",
    "accents added": "T\u00efll\u00ff M\u00e2rsh went to nursery.",
    "no-break space": "Tilly\u00a0Marsh went to nursery.",
    "in a heading": "### About Tilly Marsh\n\nNothing.",
    "picture's file name": "![A drawing](tilly-marsh.png)",
    "date with dots": "She was born on 5.6.17.",
    "date with ordinal and of": "She was born on the 5th of June 2017.",
}


@pytest.mark.parametrize("sentence", LEAKS.values(), ids=LEAKS.keys())
def test_each_kind_of_leak_is_refused_naming_where_and_leaving_nothing(public_review, sentence):
    tiny_png(public_review / "photo.png")
    tiny_png(public_review / "tilly-marsh.png")
    plant(public_review, sentence)
    with pytest.raises(CaseReviewError) as caught:
        build(public_review, edition="public")
    problems = caught.value.problems
    assert {p.code for p in problems} <= {"identifier-leak", "casereview.raw-refused"}
    assert any("executive-summary" in (p.path or "") or "_images/" in (p.path or "")
               for p in problems), [str(p) for p in problems]
    assert all(p.path for p in problems)
    for message in map(str, problems):  # the log never repeats what it found
        assert not re.search(r"Tilly|Larch|2017|June", message)
    assert not (public_review.parents[1] / "_build" / "case-public").exists()


@pytest.mark.slow
def test_a_document_title_with_a_name_is_refused_in_the_pdf_properties_too(public_review):
    toml = public_review / "review.toml"
    toml.write_text(toml.read_text().replace('title = "Executive summary"',
                                             'title = "Executive summary: Tilly"'))
    with pytest.raises(LeakError) as caught:
        build(public_review, edition="public")
    assert any("identifier-leak" in str(p) for p in caught.value.problems)


def test_an_event_id_made_from_a_registered_reference_is_withheld(public_review):
    records = public_review / "records" / "probation.csv"
    rows = records.read_text().splitlines()
    records.write_text("\n".join([rows[0], "WMP-15-1402" + rows[1][rows[1].index(","):],
                                  *rows[2:]]) + "\n")
    toml = public_review / "review.toml"
    toml.write_text(toml.read_text().replace('identifiers = [2017-06-05, "7 Larch Close"]',
                                             'identifiers = [2017-06-05, "7 Larch Close", '
                                             '"WMP-15-1402"]'))
    plant(public_review, "```{chronology}\n```")
    result = build(public_review, edition="public", pdf=False)
    html = (result.html / "executive-summary.html").read_text()
    assert "1402" not in html
    assert 'id="PRB-withheld-1"' in html
    restricted = build(public_review, pdf=False)
    assert "PRB-WMP-15-1402" in (restricted.html / "management-review.html").read_text()


def test_a_public_build_is_final_and_refuses_template_text(public_review):
    plant(public_review, "[[Summarise the events.]]")
    with pytest.raises(BuildError) as caught:
        build(public_review, edition="public")
    assert [str(p) for p in caught.value.problems] == [
        'reviews/case/executive-summary.md:9: error [placeholder-left] template text is still '
        'here: "[[Summarise the events.]]" Replace it with your own text.']
    plant(public_review, "```{guidance}\nWrite for the public.\n```\n\nNothing.")
    html = (build(public_review, edition="public", pdf=False).html
            / "executive-summary.html").read_text()
    assert "Write for the public." not in html
