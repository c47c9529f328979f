"""The sign-off record: what a chief officer (or a panel chair) signed off, and whether it holds.

Each sign-off is kept, read-only, in its own folder under ``signoff/``, with the SHA-256 of every
source file of the review and of each PDF; the same record is embedded in the signed PDF. A
review counts as signed off only while every source file still matches its sign-off: any change
makes the next build DRAFT again. Making a sign-off is :mod:`.signing`'s.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from chronology.problems import CaseReviewError, Problem, Severity, display_path

from .model import (
    AGENCIES_FOLDER,
    CASE_FILE,
    RECEIVED_FOLDER,
    Review,
    find_workspace,
    load_review,
    same_name_key,
)
from .records import read_log, secured_sets, set_fingerprint, verify

SIGNOFF = "signoff"
RECORD = "signoff.json"
#: The name of the sign-off claims embedded in each signed PDF.
EMBEDDED = "casereview-signoff.json"
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


def sha256_of(path: Path) -> str:
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
    hashes = {Path(os.path.relpath(p, review.root)).as_posix(): sha256_of(p)
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




def certificate_name(certificate) -> str:
    """The name a certificate was issued to (its subject's common name), or "" if none."""
    try:
        return str(certificate.subject.native.get("common_name", ""))
    except (AttributeError, ValueError):
        return ""


def embedded_claims(pdf: Path) -> dict | None:
    """The sign-off claims carried inside a signed-off PDF, or None if it carries none."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        found = PdfReader(pdf).attachments.get(EMBEDDED)
        return json.loads(found[0]) if found else None
    except (PyPdfError, OSError, ValueError, KeyError, TypeError):
        return None


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
                elif signer and certificate_name(status.signing_cert) and same_name_key(
                        certificate_name(status.signing_cert)) != same_name_key(signer):
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
        if expected is None or sha256_of(path) != expected:
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


