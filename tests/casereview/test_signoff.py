"""Chief-officer sign-off with a throwaway certificate made here: sign, verify, tamper, resubmit."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from casereview.build import build
from casereview.cli import cli
from casereview.model import load_review
from casereview.records import read_log
from casereview.scaffold import create
from casereview.signing import sign_off
from casereview.signoff import SignoffError, verify_signoff
from casereview.status import milestones
from tests.casereview.test_scaffold_and_check import DETAILS, fill_in
from tests.conftest import ROOT, pdf_pages

#: Every sign-off typesets the final PDF with LaTeX.
pytestmark = pytest.mark.slow

def make_certificate(folder, name="Lee Cole", passphrase: bytes | None = None):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Westshire Probation")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    key_path, cert_path = folder / f"{name}.key.pem", folder / f"{name}.cert.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8, encryption))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@pytest.fixture
def ready(tmp_path, monkeypatch):
    """A complete review, records secured, passing check."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "conf.py", tmp_path / "conf.py")
    review = create(tmp_path, DETAILS)
    fill_in(review)
    return review


@pytest.fixture
def signed(ready, tmp_path):
    key, cert = make_certificate(tmp_path)
    done = sign_off(ready, name="Lee Cole", role="Chief Officer", key=key, cert=cert)
    return ready, done, cert


def test_sign_then_verify(signed):
    review, done, cert = signed
    (pdf,) = done.pdfs
    pages = pdf_pages(pdf)
    text = " ".join(pages)
    assert "DRAFT" not in text and "Guidance for the writer" not in text
    last = " ".join(pages[-1].split())
    secured = next((review / "secured").iterdir()).name[:10]
    day = dt.date.fromisoformat(secured)
    assert "Sign-off by the chief officer" in last
    assert (f"I confirm that the case records were secured on {day.day} {day:%B %Y}, and I "
            "endorse this review for the review panel.") in last
    assert "Name: Lee Cole Role: Chief Officer" in last
    record = json.loads((done.folder / "signoff.json").read_text())
    assert record["signed_by"] == "Lee Cole" and record["role"] == "Chief Officer"
    assert record["digitally_signed"] is True and record["tool"].startswith("casereview ")
    assert set(record["sources"]) == {"review.toml", "index.md", "management-review.md",
                                      "records/probation.csv", "../../conf.py"}
    latest, problems = verify_signoff(review, trust_roots=[cert])
    assert problems == [] and latest.folder == done.folder
    assert [e["action"] for e in read_log(review)[0]][-1] == "signed off"
    result = CliRunner().invoke(cli, ["verify", "reviews/child-q", "--trust-root", str(cert)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Verified: signed off by Lee Cole, Chief Officer, on ")


def test_signed_off_outputs_are_read_only_and_later_builds_are_final(signed):
    review, done, _ = signed
    for path in done.folder.iterdir():
        assert not path.stat().st_mode & 0o222
    rebuilt = build(review)
    assert rebuilt.draft is False
    assert "DRAFT" not in " ".join(pdf_pages(rebuilt.pdfs[0]))
    assert "draft-banner" not in (rebuilt.html / "management-review.html").read_text()
    states = {m.key: m for m in milestones(load_review(review))}
    assert states["signed_off"].done == done.when.date()


def test_one_changed_byte_of_the_pdf_fails(signed, tmp_path):
    review, done, cert = signed
    copy = tmp_path / "sent.pdf"
    data = bytearray(done.pdfs[0].read_bytes())
    middle = len(data) // 3
    data[middle] = (data[middle] + 1) % 256
    copy.write_bytes(bytes(data))
    _, problems = verify_signoff(review, copy, trust_roots=[cert])
    codes = [p.code for p in problems]
    assert codes[0] == "pdf-changed" and "signature-broken" in codes
    result = CliRunner().invoke(cli, ["verify", "reviews/child-q", str(copy)])
    assert result.exit_code == 1
    assert "sent.pdf: error [pdf-changed] this PDF is not the one signed off" in result.output


def test_an_edited_source_is_named_and_makes_the_build_draft_again(signed):
    review, _, cert = signed
    doc = review / "management-review.md"
    doc.write_text(doc.read_text().replace("Written by the reviewer.", "Rewritten.", 1))
    _, problems = verify_signoff(review, trust_roots=[cert])
    assert [str(p) for p in problems] == [
        "reviews/child-q/management-review.md: error [source-changed] this file has changed "
        "since the review was signed off."
    ]
    rebuilt = build(review, pdf=False)
    assert rebuilt.draft is True
    assert "draft-banner" in (rebuilt.html / "management-review.html").read_text()
    states = {m.key: m for m in milestones(load_review(review))}
    assert not states["signed_off"].done


def test_untrusted_signer(signed, tmp_path):
    review, _, _ = signed
    _, other = make_certificate(tmp_path, name="Someone Else")
    _, problems = verify_signoff(review, trust_roots=[other])
    assert [p.code for p in problems] == ["signature-untrusted"]


def test_refused_while_check_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "conf.py", tmp_path / "conf.py")
    review = create(tmp_path, DETAILS)
    with pytest.raises(SignoffError) as caught:
        sign_off(review, name="Lee Cole", role="Chief Officer")
    codes = [p.code for p in caught.value.problems]
    assert codes[0] == "signoff-check-fails" and "placeholder-left" in codes
    assert "signoff-records-unsecured" in codes
    assert not (review / "signoff").exists() or not any((review / "signoff").iterdir())


def test_refused_while_records_unsecured_or_altered(ready):
    secured = next((ready / "secured").iterdir())
    (secured / "data" / "probation.csv").unlink()
    with pytest.raises(SignoffError) as caught:
        sign_off(ready, name="Lee Cole", role="Chief Officer")
    assert [str(p) for p in caught.value.problems][:2] == [
        "reviews/child-q: error [signoff-check-fails] casereview check finds 1 error; the review "
        "cannot be signed off until it passes. Run casereview check reviews/child-q.",
        f'reviews/child-q/secured/{secured.name}: error [record-missing] "probation.csv" has been '
        "deleted or renamed.",
    ]
    assert "signoff-records-altered" in [p.code for p in caught.value.problems]


def test_passphrase_from_the_environment_never_an_argument(ready, tmp_path, monkeypatch):
    key, cert = make_certificate(tmp_path, passphrase=b"correct horse")
    runner = CliRunner()
    args = ["signoff", "reviews/child-q", "--name", "Lee Cole", "--role", "Chief Officer",
            "--key", str(key), "--cert", str(cert)]
    wrong = runner.invoke(cli, args, env={"CASEREVIEW_KEY_PASSPHRASE": "wrong"})
    assert wrong.exit_code == 1 and "[key-unreadable]" in wrong.output
    right = runner.invoke(cli, args, env={"CASEREVIEW_KEY_PASSPHRASE": "correct horse"})
    assert right.exit_code == 0, right.output
    assert "Signed off by Lee Cole, Chief Officer: digitally signed." in right.output
    assert "--passphrase" not in runner.invoke(cli, ["signoff", "--help"]).output


def test_submit_packages_what_the_panel_needs(signed, tmp_path):
    review, done, _ = signed
    result = CliRunner().invoke(cli, ["submit", "reviews/child-q", "-o", "out/panel.zip",
                                      "--by", "Business unit"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "out" / "panel.zip") as archive:
        names = sorted(archive.namelist())
        assert names == ["chronology.xlsx", "management-review.pdf", "manifest-sha256.json",
                         "signoff.json"]
        manifest = json.loads(archive.read("manifest-sha256.json"))
        assert archive.read("management-review.pdf") == done.pdfs[0].read_bytes()
    import hashlib
    assert manifest["management-review.pdf"] == hashlib.sha256(
        done.pdfs[0].read_bytes()).hexdigest()
    assert read_log(review)[0][-1]["action"] == "exported"


def test_submit_refused_after_a_change(signed):
    review, _, _ = signed
    (review / "index.md").write_text("# Changed\n")
    result = CliRunner().invoke(cli, ["submit", "reviews/child-q", "-o", "panel.zip"])
    assert result.exit_code == 1
    assert "[submit-refused]" in result.output and "index.md: error [source-changed]" in \
        result.output


def make_pkcs12(folder, passphrase: bytes) -> tuple:
    """The key and certificate in one .p12 file, as an organisation's certificate often comes."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    key_path, cert_path = make_certificate(folder, name="Lee Cole")
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    path = folder / "lee-cole.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"Lee Cole", key, cert, None, serialization.BestAvailableEncryption(passphrase)))
    return path, cert_path


def test_sign_with_a_pkcs12_file(ready, tmp_path):
    p12, cert = make_pkcs12(tmp_path, b"correct horse")
    runner = CliRunner()
    args = ["signoff", "reviews/child-q", "--name", "Lee Cole", "--role", "Chief Officer",
            "--pkcs12", str(p12)]
    both = runner.invoke(cli, [*args, "--key", str(cert), "--cert", str(cert)])
    assert both.exit_code == 2 and "give either --pkcs12 or --key with --cert" in both.output
    wrong = runner.invoke(cli, args, env={"CASEREVIEW_KEY_PASSPHRASE": "wrong"})
    assert wrong.exit_code == 1 and "[key-unreadable]" in wrong.output
    assert "lee-cole.p12" in wrong.output and "Traceback" not in wrong.output
    right = runner.invoke(cli, args, env={"CASEREVIEW_KEY_PASSPHRASE": "correct horse"})
    assert right.exit_code == 0, right.output
    assert "Signed off by Lee Cole, Chief Officer: digitally signed." in right.output
    latest, problems = verify_signoff(ready, trust_roots=[cert])
    assert problems == [] and latest is not None
    assert json.loads((latest.folder / "signoff.json").read_text())["digitally_signed"] is True


def test_record_files_changed_after_securing_are_named_by_check_and_stop_sign_off(ready):
    from casereview.check import check_review

    record = load_review(ready).sources[0].path
    with record.open("a") as handle:
        handle.write("9,20/12/2016,Case record,Added after securing.,\n")
    shown = f"reviews/child-q/{record.relative_to(ready).as_posix()}"
    expected = (f"{shown}: warning [records-differ] this record file is not one of the files "
                "secured in ")
    assert any(str(p).startswith(expected) for p in check_review(ready))
    with pytest.raises(SignoffError) as caught:
        sign_off(ready, name="Lee Cole", role="Chief Officer")
    assert any(str(p).startswith(expected.replace("warning", "error"))
               for p in caught.value.problems)


def writable_again(folder):
    import stat

    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def edit_record(done, change):
    writable_again(done.folder)
    path = done.folder / "signoff.json"
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))


def codes(review, cert):
    return [p.code for p in verify_signoff(review, trust_roots=[cert])[1] if p.is_error]


def test_signoff_json_edited_is_not_trusted(signed):
    review, done, cert = signed
    edit_record(done, lambda r: r.update(signed_by="Someone Else"))
    assert [str(p) for p in verify_signoff(review, trust_roots=[cert])[1]] == [
        f"reviews/child-q/signoff/{done.folder.name}/signoff.json: error "
        "[signoff-record-altered] signoff.json no longer says what was signed into the PDF "
        "(signed_by differ); only the PDF's own record is trusted."]


def test_a_source_edited_with_its_new_hash_written_into_the_record_is_found(signed):
    import hashlib

    review, done, cert = signed
    doc = review / "management-review.md"
    doc.write_text(doc.read_text().replace("Written by the reviewer.", "Rewritten.", 1))
    new = hashlib.sha256(doc.read_bytes()).hexdigest()
    edit_record(done, lambda r: r["sources"].update({"management-review.md": new}))
    assert codes(review, cert) == ["signoff-record-altered", "source-changed"]


def test_the_unsigned_draft_swapped_in_with_its_hash_is_found(signed):
    import hashlib

    review, done, cert = signed
    draft = build(review).pdfs[0]
    writable_again(done.folder)
    done.pdfs[0].write_bytes(draft.read_bytes())
    digest = hashlib.sha256(draft.read_bytes()).hexdigest()
    edit_record(done, lambda r: r["pdf_sha256"].update({draft.name: digest}))
    shown = f"reviews/child-q/signoff/{done.folder.name}/management-review.pdf"
    assert [str(p) for p in verify_signoff(review, trust_roots=[cert])[1] if p.is_error][:2] == [
        f"{shown}: error [signoff-record-missing] the PDF carries no sign-off record: it is not "
        "a PDF that casereview signed off.",
        f"{shown}: error [signature-missing] the PDF carries no digital signature, though the "
        "review was signed off with a key: it is not the PDF that was signed."]
    result = CliRunner().invoke(cli, ["verify", "reviews/child-q", "--trust-root", str(cert)])
    assert result.exit_code == 1 and not result.output.startswith("Verified")


def test_only_the_chief_officer_signs_and_not_without_a_key(ready):
    result = CliRunner().invoke(cli, ["signoff", "reviews/child-q", "--name", "Anyone",
                                      "--role", "Cleaner"])
    assert result.exit_code == 1
    assert ('reviews/child-q/review.toml: error [signer-not-chief-officer] "Anyone" is not the '
            "review's chief officer (Lee Cole, in review.toml); only the chief officer signs the "
            "review off.") in result.output
    assert "error [signoff-key-required] a sign-off needs the chief officer's signing key" \
        in result.output
    assert not (ready / "signoff").exists() or not any((ready / "signoff").iterdir())


def test_a_board_may_accept_unkeyed_sign_off_which_says_so_and_never_replaces_a_keyed_one(
        ready, tmp_path):
    toml = ready / "review.toml"
    toml.write_text(toml.read_text() + "\n[signoff]\nunkeyed_signoff = true\n")
    done = sign_off(ready, name="Lee Cole", role="Chief Officer")
    _, problems = verify_signoff(ready)
    assert [(p.code, p.severity.value) for p in problems] == [("signature-missing", "warning")]
    key, cert = make_certificate(tmp_path)
    (ready / "index.md").write_text((ready / "index.md").read_text() + "\nMore.\n")
    sign_off(ready, name="Lee Cole", role="Chief Officer", key=key, cert=cert)
    with pytest.raises(SignoffError) as caught:
        sign_off(ready, name="Lee Cole", role="Chief Officer")
    assert [p.code for p in caught.value.problems] == ["signoff-key-required"]
    assert done.folder.is_dir()


@pytest.mark.parametrize("changed", ["actions.csv", "../../conf.py", "photo.png",
                                     "../../templates/index.md.j2"])
def test_every_file_that_changes_the_output_is_in_the_sign_off(ready, tmp_path, changed):
    path = (ready / changed).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.write_text(path.read_text() + "\n# changed\n")
    key, cert = make_certificate(tmp_path)
    if not path.exists():
        path.write_text("before\n")
    sign_off(ready, name="Lee Cole", role="Chief Officer", key=key, cert=cert)
    path.write_text(path.read_text() + "after\n")
    assert codes(ready, cert) == ["source-changed"]


def test_a_secured_record_changed_after_sign_off_fails_verify(signed):
    review, _, cert = signed
    secured = next((review / "secured").iterdir())
    record = secured / "data" / "probation.csv"
    record.chmod(0o644)
    record.write_text(record.read_text() + "x")
    found = codes(review, cert)
    assert "record-changed" in found


def test_the_custody_log_s_sign_off_entry_removed_is_found(signed):
    review, _, cert = signed
    log = review / "custody.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:-1]))
    folder = verify_signoff(review)[0].folder.name
    assert [str(p) for p in verify_signoff(review, trust_roots=[cert])[1]] == [
        f"reviews/child-q/signoff/{folder}/signoff.json: error [log-missing-signoff] the custody "
        "log has no entry for this sign-off: it has been removed. Compare the log with a copy "
        "held elsewhere."]


def test_the_sign_off_folder_is_read_only(signed):
    _, done, _ = signed
    assert not done.folder.stat().st_mode & 0o222


def test_no_traceback_from_the_signing_library_reaches_the_chief_officer(signed, tmp_path):
    review, done, _ = signed
    _, other = make_certificate(tmp_path, name="Someone Else")
    damaged = tmp_path / "damaged.pdf"
    data = bytearray(done.pdfs[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    for args in (["verify", "reviews/child-q", "--trust-root", str(other)],
                 ["verify", "reviews/child-q", str(damaged), "--trust-root", str(other)]):
        result = subprocess.run([sys.executable, "-m", "casereview.cli", *args], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, \
            result.stderr
