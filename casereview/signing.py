"""Signing off: the chief officer's (or, for a case's panel documents, the panel chair's)
sign-off, bound to the exact content they read, and the package an agency sends the panel.

Signing off builds the final PDF, records who signed, in what role and when, with the SHA-256 of
every source file and of the PDF, and (given a key) signs the PDF itself (PAdES, with a visible
signature). Each sign-off is kept, read-only, in its own folder under ``signoff/``; nothing there
is ever changed. What a sign-off recorded, and whether it still holds, is :mod:`.signoff`'s.
"""

from __future__ import annotations

import json
import shutil
import stat
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from chronology.atomic import atomic_write
from chronology.export import export
from chronology.problems import Problem, Severity, display_path

from . import __version__
from .build import build
from .check import check_review
from .chronologies import merged_events
from .model import PARAGRAPHS_FILE, Review, load_review, same_name_key, uk_date
from .records import append_log, secured_on, secured_sets, set_fingerprint, verify
from .signoff import (
    EMBEDDED,
    RECORD,
    SIGNOFF,
    Signoff,
    SignoffError,
    certificate_name,
    sha256_of,
    signoffs,
    source_hashes,
    verify_signoff,
)

PASSPHRASE_VARIABLE = "CASEREVIEW_KEY_PASSPHRASE"


def _signer_refusals(review: Review, name: str, keyed: bool) -> list[Problem]:
    """Only the review's chief officer signs it off; without a key only where the board has
    allowed that, and never in place of a sign-off made with a key."""
    settings = review.settings_file.name
    toml = display_path(review.settings_file)
    who, table = review.signer_title
    problems = []
    if same_name_key(name) != same_name_key(review.chief_officer.name):
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


def _embed_claims(writer, claims: dict) -> None:
    """Put what was signed into the PDF itself, before it is signed, so the signature covers
    it: verify then trusts this, never a file beside the PDF."""
    from pyhanko.pdf_utils import embed

    data = json.dumps(claims, indent=1, ensure_ascii=False, sort_keys=True).encode()
    embed.embed_file(writer, embed.FileSpec(
        file_spec_string=EMBEDDED, description="What the chief officer signed off",
        embedded_data=embed.EmbeddedFileObject.from_file_data(writer, data=data,
                                                               mime_type="application/json")))


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
    review = load_review(review_dir)
    problems = _refusals(review) + _signer_refusals(review, name, keyed=bool(key or pkcs12))
    if problems:
        raise SignoffError(problems)
    signer = _make_signer(key, cert, pkcs12, passphrase) if (key or pkcs12) else None
    if signer is not None:
        issued_to = certificate_name(signer.signing_cert)
        if issued_to and same_name_key(issued_to) != same_name_key(name):
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
        page = {"name": name, "role": role, "digital": signer is not None, "level": review.level,
                "signer": review.signer_title[0],
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
        record = {**claims, "pdfs": pdfs, "pdf_sha256": {p: sha256_of(staging / p) for p in pdfs}}
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


def submit(review_dir: Path | str, output: Path | str, *, by: str) -> Path:
    """Package the signed PDF, merged chronology, sign-off record and a manifest for the panel."""
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
        manifest = {name: sha256_of(path) for name, path in sorted(members.items())}

        def write(target: Path) -> None:
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, path in members.items():
                    archive.write(path, name)
                archive.writestr("manifest-sha256.json", json.dumps(manifest, indent=1))

        atomic_write(output, write)
    append_log(review.root, "exported", by, file=output.name, manifest=manifest)
    return output

