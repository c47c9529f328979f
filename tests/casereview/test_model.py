"""review.toml: every problem reported at once, each with its line, key and an exact message."""

from __future__ import annotations

import re
from datetime import date

import pytest

from casereview.model import ConfigError, load_review


def edit(review_dir, pattern, replacement):
    path = review_dir / "review.toml"
    text = path.read_text()
    new = re.sub(pattern, replacement, text, count=1, flags=re.M)
    assert new != text, f"pattern {pattern!r} did not match"
    path.write_text(new)


def messages(review_dir) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_review(review_dir)
    return [str(p) for p in caught.value.problems]


def test_minimal_review_loads(workspace):
    review = load_review(workspace)
    assert review.title == "Minimal review"
    assert review.requested == date(2020, 3, 2)
    assert review.period == (date(2019, 1, 1), date(2019, 12, 31))
    assert review.marking == "OFFICIAL-SENSITIVE"
    assert [s.code for s in review.sources] == ["PRB"]
    assert [d.docname for d in review.documents] == ["management-review"]


def test_missing_key(workspace):
    edit(workspace, r"^agency = .*\n", "")
    assert messages(workspace) == [
        'reviews/case/review.toml:agency: error [key-missing] "agency" is missing: the agency '
        'writing this review. Add a line such as agency = "Northshire Probation Service"'
    ]


def test_missing_key_in_table(workspace):
    edit(workspace, r"^role = \"Head of Quality\"\n", "")
    assert messages(workspace) == [
        'reviews/case/review.toml:12:reviewer.role: error [key-missing] "role" is missing under '
        "[reviewer]: the nominated reviewer's role. Add a line such as "
        'role = "Head of Public Protection"'
    ]


def test_quoted_uk_date(workspace):
    edit(workspace, r"^requested = .*$", 'requested = "02/03/2020"')
    assert messages(workspace) == [
        'reviews/case/review.toml:5:requested: error [date-invalid] "requested" = "02/03/2020" is '
        "not a date in the form review.toml needs. Write it as YYYY-MM-DD without quotes, as in "
        "requested = 2016-09-12"
    ]


def test_impossible_date(workspace):
    edit(workspace, r"^requested = .*$", "requested = 2020-13-02")
    assert messages(workspace) == [
        "reviews/case/review.toml:5: error [date-invalid] 2020-13-02 is not a real date. Dates "
        "are written YYYY-MM-DD, as in 2016-09-12."
    ]


def test_unknown_file(workspace):
    edit(workspace, r"records/probation\.csv", "records/police.csv")
    assert messages(workspace) == [
        'reviews/case/review.toml:27:records.file: error [file-missing] records file '
        '"records/police.csv" does not exist in reviews/case. Check the file name, or remove '
        "the entry."
    ]


def test_every_problem_reported_at_once(workspace):
    edit(workspace, r"^agency = .*\n", "")
    edit(workspace, r"^version = .*$", "version = 1.0")
    edit(workspace, r"^end = .*$", "end = 2018-12-31")
    edit(workspace, r"management-review\.md", "missing.md")
    codes = [p.split(" error ")[1].split("]")[0] + "]" for p in messages(workspace)]
    assert codes == ["[key-missing]", "[key-type]", "[file-missing]", "[period-reversed]"]


def test_syntax_error_names_the_line(workspace):
    edit(workspace, r'^child = "Child T"$', 'child = "Child T')
    (message,) = messages(workspace)
    assert message.startswith("reviews/case/review.toml:3: error [toml-syntax] the file cannot "
                              "be read:")


def test_no_review_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    assert messages(tmp_path / "empty") == [
        "empty: error [review-missing] there is no review.toml in this folder. Give the folder "
        "of a review, such as reviews/example, or create one with casereview new."
    ]


def test_unknown_key_is_a_warning(workspace):
    edit(workspace, r"^version = .*$", 'version = "1.0"\nmarkng = "OFFICIAL"')
    review = load_review(workspace)
    assert [str(w) for w in review.warnings] == [
        'reviews/case/review.toml:7:markng: warning [key-unknown] "markng" is not a setting '
        'casereview knows. Did you mean "marking"? Correct the spelling, or remove the line.'
    ]


def test_records_codes_are_plain_and_each_file_has_its_own(workspace):
    edit(workspace, r'^code = "PRB"$', 'code = "P-R"')
    path = workspace / "review.toml"
    path.write_text(path.read_text() + '\n[[records]]\nagency = "Northshire Police"\n'
                    'file = "records/probation.csv"\n\n[[records]]\nagency = "Northshire Probation"\n'
                    'file = "records/probation.csv"\n\n[[records]]\nagency = "Health"\ncode = "nor"\n'
                    'file = "records/probation.csv"\n')
    hint = ('Give each [[records]] entry a code of its own, such as code = "POL" for police and '
            'code = "PRB" for probation.')
    assert messages(workspace) == [
        'reviews/case/review.toml:26:records.code: error [code-invalid] the code "P-R" can hold '
        "only letters and digits: it begins every event ID of Probation, as in P-R-007. Write it "
        'as letters and digits only, such as code = "POL".',
        'reviews/case/review.toml:34:records.agency: error [code-duplicate] the code "NOR" (made '
        "from the agency's name) is also used for the records of Northshire Police (entry 2), so "
        f"events in both files would share IDs such as NOR-001. {hint}",
        'reviews/case/review.toml:39:records.code: error [code-duplicate] the code "nor" is also '
        "used for the records of Northshire Police (entry 2), so events in both files would "
        f"share IDs such as nor-001. {hint}",
    ]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-16-le", "utf-8-sig"])
def test_review_toml_saved_by_notepad_in_any_encoding_is_read(workspace, encoding):
    path = workspace / "review.toml"
    text = path.read_text(encoding="utf-8").replace("Minimal review", "Révision de café")
    path.write_bytes(text.encode(encoding))
    assert load_review(workspace).title == "Révision de café"


def test_review_toml_that_is_not_text_is_a_located_error(workspace):
    path = workspace / "review.toml"
    path.write_bytes(path.read_bytes().replace(b'title = "Minimal review"',
                                               b'title = "Minimal \x81\x8d review"'))
    with pytest.raises(ConfigError) as caught:
        load_review(workspace)
    assert [str(p) for p in caught.value.problems] == [
        "reviews/case/review.toml:1: error [encoding] the file cannot be read as text (a "
        "character on line 1 cannot be read). Open it in Notepad and save it again with the "
        "encoding UTF-8."]


def test_records_written_as_a_plain_value_says_how_to_write_the_tables(workspace):
    path = workspace / "review.toml"
    text = path.read_text().split("[[records]]")[0]
    path.write_text('records = "records/probation.csv"\n' + text)
    with pytest.raises(ConfigError) as caught:
        load_review(workspace)
    assert [str(p) for p in caught.value.problems] == [
        'reviews/case/review.toml:1:records: error [key-type] "records" should be a list of '
        "[[records]] tables, one for each entry. Write each entry as [[records]] on a line of "
        'its own, then agency = "Northshire Police" and file = "records/police.csv" below it.']


def test_a_gap_of_no_days_is_refused(workspace):
    append(workspace, "\n[chronology]\ngap_days = -5\n")
    with pytest.raises(ConfigError) as caught:
        load_review(workspace)
    assert [str(p) for p in caught.value.problems] == [
        "reviews/case/review.toml:30:chronology.gap_days: error [key-range] -5 days is not a gap: "
        "it must be at least 1. Use the number of days without contact worth showing, such as "
        "gap_days = 60."]


def test_misspelt_keys_in_tables_are_named_with_the_key_meant(workspace):
    append(workspace, '\n[publication]\npublic_markng = ""\n')
    assert [str(w) for w in load_review(workspace).warnings] == [
        'reviews/case/review.toml:30:publication.public_markng: warning [key-unknown] '
        '"public_markng" is not a setting casereview knows under [publication]. Did you mean '
        '"public_marking"? Correct the spelling, or remove the line.']


def test_a_misspelt_key_in_the_people_register_is_an_error(workspace):
    # A misspelt "identifiers" would leave that person's identifiers unchecked in public.
    append(workspace,
        '\n[[people]]\nrole = "mother"\npublish_as = "Mother"\nidentifers = ["14 Alder Row"]\n')
    with pytest.raises(ConfigError) as caught:
        load_review(workspace)
    assert [str(p) for p in caught.value.problems] == [
        'reviews/case/review.toml:32:people.identifers: error [key-unknown] "identifers" is not '
        'a setting casereview knows under [people, entry 1]. Did you mean "identifiers"? Correct '
        "the spelling, or remove the line."]


def append(workspace, text: str) -> None:
    path = workspace / "review.toml"
    path.write_text(path.read_text() + text)
