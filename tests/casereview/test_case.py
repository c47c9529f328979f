"""One case, many agencies: the case's settings, agency reviews in it, receiving a package from an
agency's own workspace, the panel's own sign-off, and a new user's first steps."""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from casereview.cli import cli
from casereview.model import ConfigError, load_case, load_review
from casereview.receiving import ReceiveError, agency_statuses, receive
from casereview.records import read_log
from casereview.signing import sign_off, submit
from casereview.signoff import signoffs, verify_signoff
from chronology.problems import display_path
from tests.casereview.test_signoff import make_certificate
from tests.conftest import copy_example, pdf_pages

POLICE_CHIEF = "Graham Wells"


def words(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


# --- the case's settings, without LaTeX ----------------------------------------------------------

def test_an_agency_review_takes_the_child_period_register_and_deadline_from_its_case(tmp_path):
    case = copy_example(tmp_path)
    review = load_review(case / "agencies" / "probation")
    assert (review.child, review.period, review.panel_deadline) == (
        "Child P", (load_case(case).period_start, load_case(case).period_end),
        load_case(case).agency("Northshire Probation Service").due)
    assert review.panel == "Northshire Safeguarding Children Board, Serious Case Review Panel"
    assert [p["role"] for p in review.people] == ["child", "mother", "partner"]
    assert review.case.title == "Serious case review: Child P"


def test_a_setting_the_case_gives_is_not_taken_from_the_review_and_it_says_so(tmp_path,
                                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    case = copy_example(tmp_path)
    toml = case / "agencies" / "probation" / "review.toml"
    toml.write_text('child = "Child Z"\n' + toml.read_text())
    review = load_review(toml.parent)
    assert review.child == "Child P"
    (warning,) = [p for p in review.warnings if p.code == "key-inherited"]
    assert str(warning) == (
        "reviews/example/agencies/probation/review.toml:1:child: warning [key-inherited] "
        '"child" is set by the case (case.toml), which every agency\'s review of it shares; '
        "the value here is not used. Remove it from review.toml; the panel changes it in "
        "case.toml.")


def test_an_agency_the_case_did_not_ask_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    case = copy_example(tmp_path)
    toml = case / "agencies" / "probation" / "review.toml"
    toml.write_text(toml.read_text().replace('agency = "Northshire Probation Service"',
                                             'agency = "Northshire Prisons"'))
    with pytest.raises(ConfigError) as caught:
        load_review(toml.parent)
    (problem,) = caught.value.problems
    assert str(problem) == (
        'reviews/example/agencies/probation/review.toml:6:agency: error [agency-not-requested] '
        'the case does not ask "Northshire Prisons" for a management review; it asks '
        '"Northshire Probation Service", "Northshire Police", "Northshire Children\'s Social '
        "Care\". Write the agency's name as the case's [[agencies]] gives it, or ask the panel to "
        "add it to case.toml.")


def test_case_toml_problems_are_all_reported_with_their_lines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    case = copy_example(tmp_path)
    toml = case / "case.toml"
    toml.write_text(toml.read_text().replace('board = "Northshire Safeguarding Children Board"\n',
                                             "").replace('kind = "chronology only"',
                                                         'kind = "chronology"', 1))
    with pytest.raises(ConfigError) as caught:
        load_case(case)
    assert [str(p) for p in caught.value.problems] == [
        'reviews/example/case.toml:board: error [key-missing] "board" is missing: the '
        "safeguarding children board that commissions the review. Add a line such as "
        'board = "Northshire Safeguarding Children Board"',
        'reviews/example/case.toml:84:agencies.kind: error [key-range] "chronology" is not a '
        'kind of request the panel makes. Write kind = "management review" or kind = '
        '"chronology only".',
    ]


# --- a new user's path, in an empty folder -------------------------------------------------------

CASE_OPTIONS = ["--child", "Child Q", "--board", "Westshire Safeguarding Children Board",
                "--panel", "Serious Case Review Panel", "--commissioned", "03/02/2020",
                "--period-start", "01/01/2019", "--period-end", "31/12/2019",
                "--chair", "Ruth Adeyemi", "--chair-role", "Independent chair"]
REVIEW_OPTIONS = ["--agency", "Westshire Probation", "--reviewer", "Alex Morgan",
                  "--reviewer-role", "Head of Public Protection", "--chief-officer", "Sam Okafor",
                  "--chief-officer-role", "Chief Officer"]


def test_a_new_user_starts_a_case_and_a_review_in_an_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke
    made = run(cli, ["new", "case", *CASE_OPTIONS])
    assert made.exit_code == 0, made.output
    assert made.output.splitlines()[:2] == ["Made a workspace in . (conf.py)",
                                            "Created reviews/child-q"]
    monkeypatch.chdir(tmp_path / "reviews" / "child-q")  # "new review" from inside the case
    added = run(cli, ["new", "review", *REVIEW_OPTIONS])
    assert added.exit_code == 0, added.output
    assert added.output.splitlines()[0] == "Created agencies/westshire-probation"
    assert load_case(".").agency("Westshire Probation").folder == "westshire-probation"
    review = load_review("agencies/westshire-probation")
    assert (review.child, review.period_start.isoformat()) == ("Child Q", "2019-01-01")

    checked = run(cli, ["check", "agencies/westshire-probation"])
    assert checked.exit_code == 1 and "[placeholder-left]" in checked.output
    assert "conf.py" not in checked.output
    for folder in ("agencies/westshire-probation", "."):
        built = run(cli, ["build", "--no-pdf", folder])
        assert built.exit_code == 0, built.output
    # _build/ is at the workspace's root, whichever folder the command ran in.
    html = tmp_path / "_build" / "child-q" / "html"
    agency_page = tmp_path / "_build/child-q-westshire-probation/html/management-review.html"
    assert "DRAFT: not signed off by the chief officer" in agency_page.read_text()
    assert "DRAFT: not signed off by the panel chair" in (html / "index.html").read_text()
    index = words((html / "index.html").read_text())
    assert "Westshire Probation" in index and "Board</th><td>Westshire Safeguarding" in index
    status = run(cli, ["status", "--on", "2020-03-01"])
    assert status.exit_code == 0, status.output
    lines = [line.split() for line in status.output.splitlines()]
    assert ["Westshire", "Probation", "management", "review", "not", "received", "not",
            "signed"] in lines
    assert status.output.count("Serious case review: Child Q") == 1
    assert "Management review: Westshire Probation" in status.output


# --- receiving a package -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def package(built_example, tmp_path_factory):
    """The police's signed package, made in its own workspace, and its chief officer's
    certificate; the panel receives it into fresh copies of the case."""
    folder = tmp_path_factory.mktemp("package")
    made = submit(built_example.police, folder / "police.zip", by="Claire Benton")
    return made, built_example.keys / f"{POLICE_CHIEF}.cert.pem"


@pytest.fixture
def fresh_case(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return copy_example(tmp_path)


def refusal(case, package, **options) -> str:
    """Every problem of a refused package, its path shown as "police.zip"."""
    with pytest.raises(ReceiveError) as caught:
        receive(case, package, by="Panel business unit", **options)
    assert not (case / "received").exists(), "a refused package leaves nothing behind"
    return "\n".join(str(p) for p in caught.value.problems).replace(
        display_path(package), package.name)


def rewritten(package: Path, target: Path, change) -> Path:
    """A copy of the package with its members changed by ``change(name, data)``."""
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(target, "w") as out:
        for name in source.namelist():
            data = change(name, source.read(name))
            if data is not None:
                out.writestr(name, data)
    return target


@pytest.mark.slow
def test_a_good_package_is_received_read_only_logged_and_merged(package, fresh_case):
    zipped, cert = package
    kept = receive(fresh_case, zipped, by="Panel business unit", trust_roots=[cert])
    assert kept.parent == fresh_case / "received" / "police"
    assert sorted(p.name for p in kept.iterdir()) == [
        "chronology.xlsx", "management-review.pdf", "receipt.json", "signoff.json"]
    assert not kept.stat().st_mode & stat.S_IWUSR
    (entry,) = read_log(fresh_case)[0]
    assert (entry["action"], entry["who"], entry["details"]["agency"]) == (
        "received", "Panel business unit", "Northshire Police")
    police = next(s for s in agency_statuses(load_case(fresh_case))
                  if s.agency.name == "Northshire Police")
    assert police.signed and police.received and police.record["signed_by"] == POLICE_CHIEF
    events = load_review(fresh_case).sources
    assert [s.agency for s in events][:3] == ["Probation", "Northshire Police",
                                              "Children's social care"]
    again = refusal_after_receipt(fresh_case, zipped, cert)
    assert again.endswith("error [package-already-received] this package was received before, "
                          f"into reviews/example/received/police/{kept.name}.")


def refusal_after_receipt(case, package, cert) -> str:
    with pytest.raises(ReceiveError) as caught:
        receive(case, package, by="Panel business unit", trust_roots=[cert])
    return str(caught.value.problems[0])


@pytest.mark.slow
def test_a_tampered_package_is_refused(package, fresh_case, tmp_path):
    zipped, cert = package
    changed = rewritten(zipped, tmp_path / "changed.zip",
                        lambda name, data: data + b" " if name == "chronology.xlsx" else data)
    assert refusal(fresh_case, changed, trust_roots=[cert]) == (
        "changed.zip: error [package-tampered] the package does not match its manifest: "
        "chronology.xlsx has changed. Refuse it, and ask the agency to send the package again "
        "by a secure route.")
    record = rewritten(zipped, tmp_path / "record.zip", lambda name, data: data.replace(
        POLICE_CHIEF.encode(), b"Someone Else") if name == "signoff.json" else data)
    manifest = json.loads(zipfile.ZipFile(record).read("manifest-sha256.json"))
    assert "signoff.json" in manifest
    assert "[package-tampered]" in refusal(fresh_case, record, trust_roots=[cert])


@pytest.mark.slow
def test_an_unsigned_package_is_refused(package, fresh_case, tmp_path):
    zipped, cert = package
    bare = rewritten(zipped, tmp_path / "bare.zip", lambda name, data: None if name in (
        "signoff.json", "manifest-sha256.json") else data)
    assert refusal(fresh_case, bare, trust_roots=[cert]) == (
        "bare.zip: error [package-unsigned] the package has no sign-off record or manifest: it "
        "was not made from a signed-off review. The agency's chief officer signs the review off "
        "(casereview signoff), then the agency makes the package with casereview submit.")
    (tmp_path / "notes.zip").write_text("not a zip")
    assert "[package-unreadable]" in refusal(fresh_case, tmp_path / "notes.zip")


@pytest.mark.slow
def test_a_signature_the_panel_does_not_trust_is_refused(package, fresh_case, built_example):
    zipped, _ = package
    assert refusal(fresh_case, zipped) == (
        "police.zip: error [trust-root-missing] the panel has no certificate to check the "
        "agency's signature against. Add the agency's certificate (or its issuer's) to "
        "trust_roots under [signoff] in case.toml, or give --trust-root.")
    other = built_example.keys / "David Okonjo.cert.pem"
    found = refusal(fresh_case, zipped, trust_roots=[other]).splitlines()
    assert found[0] == (
        "police.zip: error [package-signature] the package's signature does not stand: it is "
        "not signed by a certificate the panel trusts, or the PDF changed after signing.")
    assert "[signature-untrusted]" in found[1]


@pytest.mark.slow
def test_a_package_for_another_case_or_agency_is_refused(package, fresh_case):
    zipped, cert = package
    toml = fresh_case / "case.toml"
    original = toml.read_text()
    toml.write_text(original.replace('child = "Child P"', 'child = "Child Q"'))
    assert refusal(fresh_case, zipped, trust_roots=[cert]) == (
        'police.zip: error [package-foreign-case] the package is a review of "Child P" for '
        "2015-01-01 to 2016-06-30, not of Child Q for 2015-01-01 to 2016-06-30: it belongs to "
        "another case. Check which case the package was sent for.")
    toml.write_text(original.replace('name = "Northshire Police"', 'name = "Westshire Police"'))
    assert refusal(fresh_case, zipped, trust_roots=[cert]) == (
        'police.zip: error [package-wrong-agency] the package is the review of "Northshire '
        'Police", which this case did not ask for a management review (it asked Northshire '
        "Probation Service, Westshire Police, Northshire Children's Social Care). Check the "
        "agency's name in its review.toml against [[agencies]] in case.toml.")


@pytest.mark.slow
def test_cli_receive_reports_a_refusal_without_a_traceback(package, fresh_case):
    zipped, cert = package
    result = CliRunner().invoke(cli, ["receive", "reviews/example", str(zipped)])
    assert result.exit_code == 1 and "[trust-root-missing]" in result.output
    assert "Traceback" not in result.output
    good = CliRunner().invoke(cli, ["receive", "reviews/example", str(zipped), "--trust-root",
                                    str(cert), "--by", "Panel business unit"])
    assert good.exit_code == 0, good.output
    assert good.output.startswith("Received into reviews/example/received/police/01-")


# --- what the whole example case shows -----------------------------------------------------------

@pytest.mark.slow
def test_each_agency_pdf_carries_its_own_agency_author_and_signoff(built_example):
    signed = {
        "probation": signoffs(built_example.case / "agencies" / "probation")[-1].pdfs[0],
        "social care": signoffs(built_example.case / "agencies" / "childrens-social-care")[-1]
        .pdfs[0],
        "police": next((built_example.case / "received" / "police").glob(
            "*/management-review.pdf")),
    }
    expected = {
        "probation": ("Northshire Probation Service", "Helen Marsh", "David Okonjo"),
        "social care": ("Northshire Children's Social Care", "Michael Osei", "Fiona Laing"),
        "police": ("Northshire Police", "Claire Benton", POLICE_CHIEF),
    }
    for name, pdf in signed.items():
        agency, author, chief = expected[name]
        pages = [words(p) for p in pdf_pages(pdf)]
        assert f"Agency {agency}" in pages[0] and f"Author {author}" in pages[0], name
        assert "Sign-off by the chief officer" in pages[-1] and chief in pages[-1], name
        for other, (_, other_author, _) in expected.items():
            if other != name:
                assert f"Author {other_author}" not in pages[0], (name, other)


@pytest.mark.slow
def test_the_overview_cites_each_agency_reviews_signed_paragraphs(built_example):
    text = words(" ".join(pdf_pages(built_example.built.html.parent / "pdf" /
                                    "overview-report.pdf")))
    probation = json.loads((signoffs(built_example.case / "agencies" / "probation")[-1].folder /
                            "signoff.json").read_text())["paragraphs"]["management-review"]
    assert f"Northshire Probation Service management review, paragraph " \
           f"{probation['key-points']}" in text
    assert probation["key-points"] == "3.4"
    assert "Northshire Police management review, paragraph 3." in text
    assert "Northshire Children's Social Care management review, paragraph 3." in text
    html = (built_example.built.html / "index.html").read_text()
    assert "Graham Wells, Assistant Chief Constable" in html  # the agencies table


@pytest.mark.slow
def test_panel_documents_change_no_agency_verify(built_example, tmp_path):
    """Adding, editing and signing the panel's documents leaves every agency's sign-off
    standing."""
    workspace = tmp_path / "copy"
    shutil.copytree(built_example.case.parent.parent, workspace, symlinks=True,
                    ignore=shutil.ignore_patterns("out-*", "keys"))
    case = workspace / "reviews" / "example"
    agencies = [case / "agencies" / "probation", case / "agencies" / "childrens-social-care"]
    for folder in agencies:
        assert verify_signoff(folder)[1] == [] or all(
            not p.is_error for p in verify_signoff(folder)[1])
    overview = case / "overview-report.md"
    overview.write_text(overview.read_text() + "\n## Postscript\n\nThe panel met again.\n")
    (case / "learning-event.md").write_text("# Learning event\n\nPlanned for March 2017.\n")
    toml = case / "case.toml"
    toml.write_text(toml.read_text() + '\n[[documents]]\nsource = "learning-event.md"\n'
                    'title = "Learning event"\n')
    chair_key = built_example.keys / "chair"
    chair_key.mkdir(exist_ok=True)
    key, cert = make_certificate(chair_key, name="Ruth Adeyemi")
    panel = sign_off(case, name="Ruth Adeyemi", role="Independent chair", key=key, cert=cert)
    assert sorted(p.name for p in panel.pdfs) == [
        "briefing.pdf", "executive-summary.pdf", "learning-event.pdf", "overview-report.pdf"]
    last = words(pdf_pages(panel.folder / "overview-report.pdf")[-1])
    assert "Sign-off by the panel chair" in last and "Ruth Adeyemi" in last
    for folder in agencies:
        assert [p for p in verify_signoff(folder)[1] if p.is_error] == [], folder.name
    assert [p for p in verify_signoff(case)[1] if p.is_error] == []


def test_a_board_may_name_who_signs_the_panels_documents_off(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    case = copy_example(tmp_path)
    toml = case / "case.toml"
    original = toml.read_text()
    toml.write_text(original.replace("[[panel_members]]", '[panel_signoff]\nname = "Alan Kerr"\n'
                                     'role = "Chair, Northshire Safeguarding Children Board"\n\n'
                                     "[[panel_members]]", 1))
    review = load_review(case)
    assert (review.chief_officer.name, review.signer_title) == (
        "Alan Kerr", ("signer of the panel's documents", "panel_signoff"))
    assert review.reviewer.name == "Ruth Adeyemi"  # the chair still writes and chairs
    toml.write_text(original.replace("[[panel_members]]", '[panel_signoff]\nname = "Alan Kerr"\n'
                                     "\n[[panel_members]]", 1))
    with pytest.raises(ConfigError) as caught:
        load_case(case)
    assert [p.code for p in caught.value.problems] == ["key-missing"]
    assert "[panel_signoff] needs both the name and the role" in str(caught.value.problems[0])
