"""The panel's side of a case: which agencies have sent their reviews, and receiving a package.

An agency that works in its own workspace keeps its records there and sends the panel a signed
package (``casereview submit``). The panel receives it into the case: the package's manifest, its
sign-off record and the PDF's signature are all checked before anything is kept, and what is kept
is never changed. A board that runs every agency's review in its own workspace keeps them in the
case's ``agencies/`` folder instead; a signed-off one there counts as received.
"""

from __future__ import annotations

import json
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from chronology.problems import CaseReviewError, Problem, display_path

from .model import (
    CASE_FILE,
    MANAGEMENT_REVIEW,
    REVIEW_FILE,
    Case,
    RequestedAgency,
    load_agency_review,
    load_case,
    receipts,
)
from .records import append_log
from .signoff import RECORD, embedded_claims, sha256_of, signature_findings, state

MANIFEST = "manifest-sha256.json"
RECEIPT = "receipt.json"


class ReceiveError(CaseReviewError):
    """A package was refused: nothing of it was kept."""


@dataclass(frozen=True)
class AgencyStatus:
    """Where one agency's contribution to the case stands."""

    agency: RequestedAgency
    requested: date
    due: date | None
    #: The day its signed review reached the panel (or was signed off in the case's workspace).
    received: date | None
    signed: bool
    #: The signed review's record: who signed, when, and its paragraph numbers.
    record: dict | None
    where: str
    #: A chronology-only agency's records are held by the panel (in the case's own records).
    held: bool = False

    def overdue(self, today: date) -> bool:
        return self.received is None and not self.held and self.due is not None and \
            self.due < today

    def state(self, today: date) -> str:
        if self.held:
            return "chronology held"
        if self.received:
            late = self.due is not None and self.received > self.due
            return "received late" if late else "received"
        if self.overdue(today):
            return "overdue"
        return "requested"

    def as_dict(self, today: date) -> dict:
        return {"agency": self.agency.name, "kind": self.agency.kind,
                "requested": self.requested.isoformat(),
                "due": self.due.isoformat() if self.due else None,
                "received": self.received.isoformat() if self.received else None,
                "signed": self.signed, "held": self.held, "overdue": self.overdue(today),
                "state": self.state(today), "where": self.where}


def agency_statuses(case: Case) -> list[AgencyStatus]:
    """Every agency the case asked, with what it has sent. A chronology-only agency counts as
    received once the panel holds its records."""
    statuses = []
    for agency in case.agencies:
        folder = case.review_folder(agency)
        received = receipts(case.received_folder(agency))
        if agency.kind != MANAGEMENT_REVIEW:
            held = [s for s in case.sources if s.agency == agency.name and s.path.is_file()]
            statuses.append(AgencyStatus(agency, case.commissioned, agency.due, None, False,
                                         None, ", ".join(display_path(s.path) for s in held),
                                         held=bool(held)))
        elif (folder / REVIEW_FILE).is_file():
            review = load_agency_review(case, agency)
            now = state(review)
            record = now.latest.record if now.signed else None
            statuses.append(AgencyStatus(agency, review.requested, agency.due,
                                         now.latest.when.date() if record else None,
                                         record is not None, record,
                                         display_path(folder)))
        elif received:
            record = json.loads((received[-1] / RECORD).read_text(encoding="utf-8"))
            receipt = json.loads((received[-1] / RECEIPT).read_text(encoding="utf-8"))
            statuses.append(AgencyStatus(agency, case.commissioned, agency.due,
                                         datetime.fromisoformat(receipt["received_at"]).date(),
                                         True, record, display_path(received[-1])))
        else:
            statuses.append(AgencyStatus(agency, case.commissioned, agency.due, None, False,
                                         None, ""))
    return statuses


def agency_paragraphs(case: Case) -> dict[str, dict]:
    """Each signed agency review's paragraph numbers, by its folder name, for the overview's
    citations ("Northshire Probation Service management review, paragraph 3.4")."""
    return {s.agency.folder: {"agency": s.agency.name,
                              "paragraphs": s.record.get("paragraphs", {})}
            for s in agency_statuses(case) if s.record is not None}


def _refuse(code: str, message: str, package: Path, hint: str = "") -> ReceiveError:
    return ReceiveError([Problem(code, message, display_path(package), hint=hint)])


def _read_package(package: Path, scratch: Path) -> dict[str, Path]:
    """The package's files, unpacked, once every one matches its manifest."""
    try:
        with zipfile.ZipFile(package) as archive:
            names = archive.namelist()
            if any(Path(n).name != n for n in names):
                raise _refuse("package-tampered", "the package holds files in folders, which "
                              "casereview submit never makes.", package,
                              "Ask the agency to send the package casereview submit made.")
            archive.extractall(scratch)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse("package-unreadable", f"the file is not a review package ({exc}).",
                      package, "Ask the agency for the .zip that casereview submit made.") \
            from None
    files = {name: scratch / name for name in names}
    if MANIFEST not in files or RECORD not in files:
        raise _refuse("package-unsigned", "the package has no sign-off record or manifest: it "
                      "was not made from a signed-off review.", package,
                      "The agency's chief officer signs the review off (casereview signoff), "
                      "then the agency makes the package with casereview submit.")
    manifest = json.loads(files.pop(MANIFEST).read_text(encoding="utf-8"))
    problems = []
    for name in sorted(set(manifest) | set(files)):
        if name not in files:
            problems.append(f"{name} is missing")
        elif name not in manifest:
            problems.append(f"{name} was added")
        elif sha256_of(files[name]) != manifest[name]:
            problems.append(f"{name} has changed")
    if problems:
        raise _refuse("package-tampered", "the package does not match its manifest: "
                      + "; ".join(problems) + ".", package,
                      "Refuse it, and ask the agency to send the package again by a secure "
                      "route.")
    return files


def receive(case_dir: Path | str, package: Path | str, *, by: str,
            trust_roots: list[Path] = ()) -> Path:
    """Check an agency's signed package and keep it, read-only, in the case's received/ folder.
    Refuses, with every reason, a package that is tampered with, unsigned, for another case or
    from an agency the case did not ask."""
    case = load_case(case_dir)
    package = Path(package)
    roots = [*case.trust_roots, *map(Path, trust_roots)]
    with tempfile.TemporaryDirectory() as scratch:
        files = _read_package(package, Path(scratch))
        record = json.loads(files[RECORD].read_text(encoding="utf-8"))
        pdfs = [files[name] for name in record.get("pdfs", []) if name in files]
        claims = embedded_claims(pdfs[0]) if pdfs else None
        if claims is None or any(record.get(k) != v for k, v in claims.items()):
            raise _refuse("package-tampered", "the sign-off record in the package is not the "
                          "one signed into its PDF.", package,
                          "Refuse it, and ask the agency to send the package again.")
        if not claims.get("digitally_signed") and not case.unkeyed_signoff:
            raise _refuse("package-unsigned", "the review was signed off without a digital "
                          "signature, so the panel cannot tell who signed it.", package,
                          "Ask the agency's chief officer to sign it off with their key; a "
                          f"board that accepts sign-off without a key sets unkeyed_signoff = "
                          f"true under [signoff] in {CASE_FILE}.")
        if claims.get("digitally_signed"):
            if not roots:
                raise _refuse("trust-root-missing", "the panel has no certificate to check the "
                              "agency's signature against.", package,
                              f"Add the agency's certificate (or its issuer's) to trust_roots "
                              f"under [signoff] in {CASE_FILE}, or give --trust-root.")
            findings = [p for pdf in pdfs for p in signature_findings(
                pdf, roots, signer=claims.get("signed_by", ""), keyed=True) if p.is_error]
            if findings:
                raise ReceiveError([Problem("package-signature", "the package's signature does "
                                            "not stand: it is not signed by a certificate the "
                                            "panel trusts, or the PDF changed after signing.",
                                            display_path(package)), *findings])
        period = [case.period_start.isoformat(), case.period_end.isoformat()]
        if claims.get("child") != case.child or claims.get("period") != period:
            raise _refuse("package-foreign-case", f'the package is a review of '
                          f'"{claims.get("child", "an unnamed child")}" for '
                          f'{" to ".join(claims.get("period") or ["an unknown period"])}, not of '
                          f"{case.child} for {period[0]} to {period[1]}: it belongs to another "
                          "case.", package, "Check which case the package was sent for.")
        agency = case.agency(claims.get("agency", ""))
        if agency is None or agency.kind != MANAGEMENT_REVIEW:
            asked = ", ".join(a.name for a in case.agencies if a.kind == MANAGEMENT_REVIEW)
            raise _refuse("package-wrong-agency", f'the package is the review of '
                          f'"{claims.get("agency")}", which this case did not ask for a '
                          f"management review (it asked {asked or 'no agency'}).", package,
                          f"Check the agency's name in its review.toml against [[agencies]] in "
                          f"{CASE_FILE}.")
        if (case.review_folder(agency) / REVIEW_FILE).is_file():
            raise _refuse("package-duplicate", f"{agency.name}'s review is already written in "
                          f"this workspace ({display_path(case.review_folder(agency))}).",
                          package, "Keep one of the two: a review in the case's workspace, or a "
                          "package received from the agency's own.")
        folder = case.received_folder(agency)
        kept = receipts(folder)
        digest = sha256_of(package)
        for earlier in kept:
            if json.loads((earlier / RECEIPT).read_text())["package_sha256"] == digest:
                raise _refuse("package-already-received", f"this package was received before, "
                              f"into {display_path(earlier)}.", package)
        when = datetime.now(UTC).replace(microsecond=0)
        target = folder / f"{len(kept) + 1:02d}-{when:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=folder))
        try:
            for name, path in files.items():
                shutil.copy2(path, staging / name)
            (staging / RECEIPT).write_text(json.dumps({
                "agency": agency.name, "received_at": when.isoformat(), "received_by": by,
                "package": package.name, "package_sha256": digest,
                "signoff": record.get("number"), "signed_by": record.get("signed_by"),
            }, indent=1, ensure_ascii=False))
            for path in staging.iterdir():
                path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            staging.rename(target)
            try:
                append_log(case.root, "received", by, agency=agency.name, package=package.name,
                           package_sha256=digest, folder=target.name)
            except BaseException:
                staging = target  # not logged, so not received: removed below
                raise
            target.chmod(0o555)  # read-only: what an agency signed is never changed
        finally:
            if staging.exists():
                for path in staging.iterdir():
                    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
                shutil.rmtree(staging)
    return target
