"""The chief officer's sign-off, bound to the exact content they read.

Signing off builds the final PDF, records who signed, in what role and when, with the SHA-256 of
every source file of the review and of the PDF, and (given a key) signs the PDF itself (PAdES,
with a visible signature). Each sign-off is kept, read-only, in its own folder under
``signoff/``; nothing there is ever changed. A review counts as signed off only while every
source file still matches its sign-off: any change makes the next build DRAFT again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from chronology.atomic import atomic_write
from chronology.problems import CaseReviewError, Problem, Severity, display_path

from . import __version__
from .model import (AGENCIES_FOLDER, CASE_FILE, PARAGRAPHS_FILE, RECEIVED_FOLDER, REVIEW_FILE,
                    Review, find_workspace, load_review)

SIGNOFF = "signoff"
RECORD = "signoff.json"
#: The name of the sign-off claims embedded in each signed PDF.
EMBEDDED = "casereview-signoff.json"
PASSPHRASE_VARIABLE = "CASEREVIEW_KEY_PASSPHRASE"
#: Where an agency review's sign-off records what it took from its case, in place of case.toml.
INHERITED_SOURCE = f"{CASE_FILE} (what this review takes from the case)"


class SignoffError(CaseReviewError):
    """Sign-off was refused, or a signed-off review no longer matches what was signed."""


@dataclass
class Signoff:
    folder: Path
    record: dict

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.record["signed_at"])

    @property
    def pdfs(self) -> list[Path]:
        return [self.folder / name for name in self.record["pdfs"]]


@dataclass
class SignoffState:
    """The latest sign-off, and what has changed since (nothing, if it still holds)."""

    latest: Signoff | None
    changed: list[Problem] = field(default_factory=list)

    @property
    def signed(self) -> bool:
        return self.latest is not None and not self.changed


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


#: Folders of a review that hold what is made from it or kept beside it, not what it is made of.
_NOT_SOURCES = {SIGNOFF, "secured", "working", "_build"}
#: Files of the review folder that change after sign-off by design: the custody log, which
#: records the sign-off itself.
_KEPT_BESIDE = {"custody.jsonl"}


def source_files(review: Review) -> list[Path]:
    """Everything that changes what the signed documents show: every file of the review's folder
    (settings, documents, pictures, the action plan, included files, records), record files
    kept elsewhere, and the workspace's conf.py and the board's templates and theme files."""
    files = {s.path for s in review.sources}
    # The panel's sign-off covers its own documents; each agency's review has its own.
    not_sources = _NOT_SOURCES | ({AGENCIES_FOLDER, RECEIVED_FOLDER} if review.level == "case"
                                  else set())
    for path in review.root.rglob("*"):
        parts = path.relative_to(review.root).parts
        if path.is_file() and parts[0] not in not_sources and path.name not in _KEPT_BESIDE \
                and not any(part.startswith((".", "~$")) for part in parts):
            files.add(path)
    workspace = find_workspace(review.root)
    files.add(workspace / "conf.py")
    for folder in ("templates", "_templates", "_static"):
        files |= {p for p in (workspace / folder).rglob("*") if p.is_file()}
    return sorted(f for f in files if f.is_file())


def source_hashes(review: Review) -> dict[str, str]:
    hashes = {Path(os.path.relpath(p, review.root)).as_posix(): _sha256(p)
              for p in source_files(review)}
    if review.inherited:
        # Only what the review takes from case.toml counts: the panel adding its own documents
        # or agencies to the case must not void an agency's sign-off.
        taken = json.dumps(review.inherited, sort_keys=True, default=str).encode()
        hashes[INHERITED_SOURCE] = hashlib.sha256(taken).hexdigest()
    return hashes


def signoffs(review_dir: Path | str) -> list[Signoff]:
    root = Path(review_dir) / SIGNOFF
    found = []
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and not
                             p.name.startswith(".")):
            try:
                found.append(Signoff(folder, json.loads((folder / RECORD).read_text())))
            except (OSError, json.JSONDecodeError, KeyError):
                continue
    return sorted(found, key=lambda s: s.record.get("number", 0))


def state(review: Review) -> SignoffState:
    """Whether the review is signed off now, and if not, which files changed since it was."""
    history = signoffs(review.root)
    if not history:
        return SignoffState(None)
    latest = history[-1]
    return SignoffState(latest, _changes(review, latest.record["sources"]))


def _changes(review: Review, signed: dict[str, str]) -> list[Problem]:
    """Every source file added, removed or changed since ``signed`` (name -> SHA-256)."""
    now = source_hashes(review)
    changed = []
    for name in sorted(set(signed) | set(now)):
        shown = display_path(review.root / name)
        if name == INHERITED_SOURCE and name in signed and name in now and \
                now[name] != signed[name]:
            changed.append(Problem("source-changed", "the case's child, period, people register, "
                                   "publication rules or deadline, which this review takes from "
                                   f"{CASE_FILE}, have changed since the review was signed off.",
                                   display_path(review.root)))
            continue
        if name not in now:
            changed.append(Problem("source-removed", "this file has been removed since the "
                                   "review was signed off.", shown))
        elif name not in signed:
            changed.append(Problem("source-added", "this file has been added since the review "
                                   "was signed off.", shown))
        elif now[name] != signed[name]:
            changed.append(Problem("source-changed", "this file has changed since the review was "
                                   "signed off.", shown))
    return changed


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


def _signer_refusals(review: Review, name: str, keyed: bool) -> list[Problem]:
    """Only the review's chief officer signs it off; without a key only where the board has
    allowed that, and never in place of a sign-off made with a key."""
    settings = review.settings_file.name
    toml = display_path(review.settings_file)
    who, table = ("panel chair", "panel_chair") if review.level == "case" else \
        ("chief officer", "chief_officer")
    problems = []
    if _folded(name) != _folded(review.chief_officer.name):
        problems.append(Problem("signer-not-chief-officer", f'"{name}" is not the review\'s '
                                f"{who} ({review.chief_officer.name}, in {settings}); "
                                f"only the {who} signs the review off.", toml,
                                hint=f"The {who} signs with their own name; if the {who} "
                                f"has changed, correct [{table}] first."))
    if not keyed:
        if not review.unkeyed_signoff:
            problems.append(Problem("signoff-key-required", "a sign-off needs the chief "
                                    "officer's signing key: without one, anyone could record it.",
                                    toml, hint="Give --key and --cert, or --pkcs12; a board that "
                                    "accepts sign-off without a key sets unkeyed_signoff = true "
                                    "under [signoff] in review.toml."))
        if any(s.record.get("digitally_signed") for s in signoffs(review.root)):
            problems.append(Problem("signoff-key-required", "the review has been signed off "
                                    "with a key before, so it can only be signed off with a key "
                                    "again.", toml, hint="Give --key and --cert, or --pkcs12."))
    return problems


def _refusals(review: Review) -> list[Problem]:
    from .check import check_review
    from .records import secured_sets, verify

    problems = []
    verification = verify(review.root) if secured_sets(review.root) else None
    checked = check_review(review.root, verification=verification)
    errors = [p for p in checked if p.is_error]
    if errors:
        problems.append(Problem("signoff-check-fails", f"casereview check finds {len(errors)} "
                                f"{'error' if len(errors) == 1 else 'errors'}; the review cannot "
                                "be signed off until it passes.", display_path(review.root),
                                hint=f"Run casereview check {display_path(review.root)}."))
        problems += errors
    # A record file not in the latest secured set is a warning while writing; at sign-off the
    # chief officer would confirm records the chronology does not show, so it stops.
    problems += [Problem(p.code, p.message, p.path, p.row, p.column, p.hint, Severity.ERROR)
                 for p in checked if p.code == "records-differ"]
    if review.level == "case":
        return problems  # the agencies secure their records; the panel holds none of its own
    if verification is None:
        problems.append(Problem("signoff-records-unsecured", "the case records have not been "
                                "secured with casereview, so it cannot be confirmed that they "
                                "were.", display_path(review.root),
                                hint="Secure them with casereview records secure."))
    else:
        findings = [p for p in verification.problems if p.is_error]
        if findings:
            problems.append(Problem("signoff-records-altered", "the secured records do not "
                                    "verify.", display_path(review.root),
                                    hint=f"Run casereview records verify "
                                    f"{display_path(review.root)}."))
            problems += findings
    return problems


def _make_signer(key: Path | None, cert: Path | None, pkcs12: Path | None,
                 passphrase: bytes | None):
    from pyhanko.sign import signers

    try:
        if pkcs12:
            signer = signers.SimpleSigner.load_pkcs12(str(pkcs12), passphrase=passphrase)
        else:
            signer = signers.SimpleSigner.load(str(key), str(cert), key_passphrase=passphrase)
    except (ValueError, TypeError, OSError) as exc:
        signer, reason = None, str(exc)
    else:
        reason = "the key could not be read"
    if signer is None:
        raise SignoffError([Problem("key-unreadable", f"the signing key cannot be used: {reason}.",
                                    display_path(pkcs12 or key),
                                    hint=f"Check the files and the passphrase (set it in "
                                    f"{PASSPHRASE_VARIABLE}, or type it when asked).")])
    return signer


def _certificate_name(certificate) -> str:
    """The name a certificate was issued to (its subject's common name), or "" if none."""
    try:
        return str(certificate.subject.native.get("common_name", ""))
    except (AttributeError, ValueError):
        return ""


def _embed_claims(writer, claims: dict) -> None:
    """Put what was signed into the PDF itself, before it is signed, so the signature covers
    it: verify then trusts this, never a file beside the PDF."""
    from pyhanko.pdf_utils import embed

    data = json.dumps(claims, indent=1, ensure_ascii=False, sort_keys=True).encode()
    embed.embed_file(writer, embed.FileSpec(
        file_spec_string=EMBEDDED, description="What the chief officer signed off",
        embedded_data=embed.EmbeddedFileObject.from_file_data(writer, data=data,
                                                               mime_type="application/json")))


def embedded_claims(pdf: Path) -> dict | None:
    """The sign-off claims carried inside a signed-off PDF, or None if it carries none."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        found = PdfReader(pdf).attachments.get(EMBEDDED)
        return json.loads(found[0]) if found else None
    except (PyPdfError, OSError, ValueError, KeyError, TypeError):
        return None


def _seal_pdf(pdf: Path, out: Path, claims: dict) -> None:
    """The claims embedded without a signature, for a sign-off the board allows without a key."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with pdf.open("rb") as source:
        writer = IncrementalPdfFileWriter(source)
        _embed_claims(writer, claims)
        with out.open("wb") as target:
            writer.write(target)


def _sign_pdf(pdf: Path, out: Path, signer, name: str, role: str, claims: dict) -> None:
    from pyhanko import stamp
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    with pdf.open("rb") as source:
        writer = IncrementalPdfFileWriter(source)
        _embed_claims(writer, claims)
        pages = int(writer.root["/Pages"]["/Count"])
        # On the sign-off page, in the space left for it below the chief officer's name.
        field_spec = fields.SigFieldSpec("ChiefOfficerSignOff", on_page=pages - 1,
                                         box=(70, 480, 330, 555))
        meta = signers.PdfSignatureMetadata(
            field_name="ChiefOfficerSignOff", subfilter=fields.SigSeedSubFilter.PADES,
            reason=f"Signed off by {name}, {role}", name=name)
        style = stamp.TextStampStyle(stamp_text=f"Signed off by {name}\n{role}\n%(ts)s",
                                     border_width=1)
        pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style,
                                       new_field_spec=field_spec)
        with out.open("wb") as target:
            pdf_signer.sign_pdf(writer, output=target)


def sign_off(review_dir: Path | str, *, name: str, role: str, key: Path | None = None,
             cert: Path | None = None, pkcs12: Path | None = None,
             passphrase: bytes | None = None, progress=lambda message: None) -> Signoff:
    """Sign the review off. Refuses, saying why, unless check passes and the records verify."""
    from .build import build
    from .records import append_log, secured_sets, set_fingerprint

    review = load_review(review_dir)
    problems = _refusals(review) + _signer_refusals(review, name, keyed=bool(key or pkcs12))
    if problems:
        raise SignoffError(problems)
    signer = _make_signer(key, cert, pkcs12, passphrase) if (key or pkcs12) else None
    if signer is not None:
        issued_to = _certificate_name(signer.signing_cert)
        if issued_to and _folded(issued_to) != _folded(name):
            raise SignoffError([Problem("certificate-not-signer", f'the certificate was issued '
                                        f'to "{issued_to}", not to {name}.',
                                        display_path(pkcs12 or cert),
                                        hint="Sign with the chief officer's own certificate.")])
    root = review.root / SIGNOFF
    root.mkdir(exist_ok=True)
    number = max([s.record.get("number", 0) for s in signoffs(review.root)], default=0) + 1
    when = datetime.now(UTC).replace(microsecond=0)
    final_folder = root / f"{number:02d}-{when:%Y-%m-%d}"
    staging = Path(tempfile.mkdtemp(prefix=f".{final_folder.name}.", dir=root))
    try:
        progress("Building the final documents")
        from .records import secured_on
        from .sphinxext import uk_date

        page = {"name": name, "role": role, "digital": signer is not None, "level": review.level,
                "secured": uk_date(review.records_secured or secured_on(review.root))}
        result = build(review.root, staging / "build", final=True, draft=False, signoff=page)
        claims = {
            "number": number,
            "review": review.title,
            "signed_by": name,
            "role": role,
            "signed_at": when.isoformat(),
            "tool": f"casereview {__version__}",
            "digitally_signed": signer is not None,
            # Who and what the review is for, so a panel receiving it can tell its own case
            # and the agency it asked; and its paragraph numbers, which the overview cites.
            "level": review.level,
            "agency": review.agency,
            "child": review.child,
            "period": [review.period_start.isoformat(), review.period_end.isoformat()],
            "paragraphs": _paragraphs(staging / "build" / "html"),
            "sources": source_hashes(review),
            "secured": {s.name: set_fingerprint(s.path) for s in secured_sets(review.root)},
        }
        pdfs = []
        for pdf in result.pdfs:
            target = staging / pdf.name
            if signer is not None:
                progress(f"Signing {pdf.name}")
                _sign_pdf(pdf, target, signer, name, role, claims)
            else:
                _seal_pdf(pdf, target, claims)
            pdfs.append(target.name)
        shutil.rmtree(staging / "build")
        record = {**claims, "pdfs": pdfs, "pdf_sha256": {p: _sha256(staging / p) for p in pdfs}}
        (staging / RECORD).write_text(json.dumps(record, indent=1, ensure_ascii=False))
        for path in staging.iterdir():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        staging.rename(final_folder)
        try:
            append_log(review.root, "signed off", name, role=role, signoff=final_folder.name,
                       pdf_sha256=record["pdf_sha256"])
        except BaseException:
            for path in final_folder.iterdir():
                path.chmod(stat.S_IRUSR | stat.S_IWUSR)
            shutil.rmtree(final_folder)
            raise
        final_folder.chmod(0o555)  # read-only: nothing in a sign-off is ever changed
    finally:
        if staging.exists():
            for path in staging.rglob("*"):
                if path.is_file():
                    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
            shutil.rmtree(staging)
    return Signoff(final_folder, record)


def _paragraphs(html: Path) -> dict[str, dict[str, str]]:
    """Each numbered document's paragraph labels and numbers, as the build gave them."""
    path = html / PARAGRAPHS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def signature_findings(pdf: Path, trust_roots: list[Path], signer: str = "",
                        keyed: bool = False) -> list[Problem]:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    shown = display_path(pdf)
    try:
        with pdf.open("rb") as handle:
            reader = PdfFileReader(handle, strict=False)
            signatures = reader.embedded_signatures
            if not signatures:
                if keyed:
                    return [Problem("signature-missing", "the PDF carries no digital signature, "
                                    "though the review was signed off with a key: it is not "
                                    "the PDF that was signed.", shown)]
                return [Problem("signature-missing", "the PDF carries no digital signature: it "
                                "was signed off without a key, so anyone could have made it.",
                                shown, severity=Severity.WARNING,
                                hint="Only the board's acceptance of unkeyed sign-off stands "
                                "behind it.")]
            # Only the roots given are trusted (never the system's list), and nothing is fetched:
            # case data never leaves the machine.
            context = ValidationContext(
                trust_roots=[load_cert_from_pemder(str(p)) for p in trust_roots],
                allow_fetching=False)
            problems = []
            for signature in signatures:
                status = validate_pdf_signature(signature, signer_validation_context=context)
                if not status.intact or not status.valid:
                    problems.append(Problem("signature-broken", "the digital signature does "
                                            "not match the PDF: it has been changed since it "
                                            "was signed.", shown))
                elif status.coverage is not None and status.coverage.name != "ENTIRE_FILE":
                    problems.append(Problem("signature-broken", "content has been added to the "
                                            "PDF after it was signed.", shown))
                elif signer and _certificate_name(status.signing_cert) and _folded(
                        _certificate_name(status.signing_cert)) != _folded(signer):
                    problems.append(Problem("signer-mismatch", "the PDF was signed with a "
                                            "certificate issued to someone other than the chief "
                                            "officer named in its sign-off.", shown))
                elif trust_roots and not status.trusted:
                    problems.append(Problem("signature-untrusted", "the signature is intact but "
                                            "its certificate is not issued by the trust root "
                                            "given.", shown))
                elif not trust_roots:
                    problems.append(Problem("signature-unchecked", "the signature is intact; "
                                            "who signed was not checked, as no trust root was "
                                            "given.", shown, severity=Severity.WARNING,
                                            hint="Give --trust-root with the signer's "
                                            "certificate or its issuer's."))
            return problems
    except Exception as exc:  # a damaged PDF must be reported, never crash verify
        return [Problem("signature-broken", f"the PDF cannot be read as a signed PDF ({exc}).",
                        shown)]


def verify_signoff(review_dir: Path | str, pdf: Path | None = None, *,
                   trust_roots: list[Path] = ()) -> tuple[Signoff | None, list[Problem]]:
    """Check the latest sign-off against what was signed into its PDF: the PDF's signature and
    signer, that signoff.json says the same, that no source file changed, that the secured
    records it confirmed still verify, and that the custody log records it."""
    from .records import read_log, secured_sets, set_fingerprint, verify

    review = load_review(review_dir)
    history = signoffs(review.root)
    if not history:
        return None, [Problem("not-signed-off", "the review has not been signed off.",
                              display_path(review.root),
                              hint="The chief officer signs it off with casereview signoff.")]
    latest = history[-1]
    problems: list[Problem] = []
    claims = None
    for path in [Path(pdf)] if pdf else latest.pdfs:
        if not path.is_file():
            problems.append(Problem("pdf-missing", "the signed PDF is missing.",
                                    display_path(path)))
            continue
        expected = latest.record.get("pdf_sha256", {}).get(path.name)
        if expected is None or _sha256(path) != expected:
            problems.append(Problem("pdf-changed", "this PDF is not the one signed off (its "
                                    "SHA-256 does not match the sign-off record).",
                                    display_path(path)))
        embedded = embedded_claims(path)
        if embedded is None:
            problems.append(Problem("signoff-record-missing", "the PDF carries no sign-off "
                                    "record: it is not a PDF that casereview signed off.",
                                    display_path(path)))
        claims = claims or embedded
        problems += signature_findings(path, list(trust_roots),
                                        signer=(embedded or {}).get("signed_by", ""),
                                        keyed=(embedded or latest.record).get("digitally_signed",
                                                                               True))
    if claims is None:
        return latest, problems
    record = display_path(latest.folder / RECORD)
    altered = sorted(k for k, v in claims.items() if latest.record.get(k) != v)
    if altered:
        problems.append(Problem("signoff-record-altered", "signoff.json no longer says what was "
                                f"signed into the PDF ({', '.join(altered)} differ); only the "
                                "PDF's own record is trusted.", record))
    problems += _changes(review, claims["sources"])
    now = {s.name: s.path for s in secured_sets(review.root)}
    for name, fingerprint in claims.get("secured", {}).items():
        if name not in now or set_fingerprint(now[name]) != fingerprint:
            problems.append(Problem("signoff-records-changed", f"the secured set {name}, which "
                                    "the chief officer confirmed, is gone or has been "
                                    "rewritten since the sign-off.", display_path(review.root)))
    if claims.get("secured"):
        problems += verify(review.root).errors
    logged = {e.get("details", {}).get("signoff") for e in read_log(review.root)[0]
              if e.get("action") == "signed off"}
    if latest.folder.name not in logged:
        problems.append(Problem("log-missing-signoff", "the custody log has no entry for this "
                                "sign-off: it has been removed.", record,
                                hint="Compare the log with a copy held elsewhere."))
    return latest, problems


def submit(review_dir: Path | str, output: Path | str, *, by: str) -> Path:
    """Package the signed PDF, merged chronology, sign-off record and a manifest for the panel."""
    from chronology.export import export

    from .chronologies import merged_events
    from .records import append_log

    review = load_review(review_dir)
    latest, problems = verify_signoff(review.root)
    errors = [p for p in problems if p.is_error]
    if latest is None or errors:
        raise SignoffError([Problem("submit-refused", "only a review that is signed off, and "
                                    "unchanged since, can be submitted.",
                                    display_path(review.root)), *problems])
    output = Path(output)
    with tempfile.TemporaryDirectory() as scratch:
        chronology = export(merged_events(review), Path(scratch) / "chronology.xlsx")
        members = {p.name: p for p in latest.pdfs}
        members["chronology.xlsx"] = chronology
        members[RECORD] = latest.folder / RECORD
        manifest = {name: _sha256(path) for name, path in sorted(members.items())}

        def write(target: Path) -> None:
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, path in members.items():
                    archive.write(path, name)
                archive.writestr("manifest-sha256.json", json.dumps(manifest, indent=1))

        atomic_write(output, write)
    append_log(review.root, "exported", by, file=output.name, manifest=manifest)
    return output
