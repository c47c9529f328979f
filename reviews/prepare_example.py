"""Bring the fictional example case to the point a panel writes its overview report.

Each agency's management review is signed off by its chief officer, as it would be for real:
records secured, then signed with the chief officer's key. The keys here are throwaway ones, made
afresh in _build/example-keys/ the first time (never committed: a key in a repository proves
nothing). Northshire Police works in its own workspace (reviews/example-police), so its review
reaches the panel as a signed package, which the panel receives into the case.

Run by ``nox -s example`` before the case is built; what it makes (sign-offs, secured records,
the received package, custody logs) is left out of git. Run again, it does only what is not yet
done: a review edited since its sign-off is signed off again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from casereview.model import load_review, receipts
from casereview.receiving import receive
from casereview.records import secure, verify
from casereview.signing import sign_off, submit
from casereview.signoff import state

HERE = Path(__file__).resolve().parent
CASE = HERE / "example"
AGENCY_REVIEWS = (CASE / "agencies" / "probation", CASE / "agencies" / "childrens-social-care",
                  HERE / "example-police")
POLICE = HERE / "example-police"


def throwaway_key(folder: Path, name: str, organisation: str) -> tuple[Path, Path]:
    """A self-signed key and certificate in the chief officer's name, made once."""
    key_path, cert_path = folder / f"{name}.key.pem", folder / f"{name}.cert.pem"
    if key_path.is_file() and cert_path.is_file():
        return key_path, cert_path
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def prepare(keys: Path, say=print) -> None:
    for folder in AGENCY_REVIEWS:
        review = load_review(folder)
        if state(review).signed:
            continue
        if not verify(folder).sets or verify(folder).errors:
            say(f"Securing the records of {review.agency}")
            secure(folder, [s.path for s in review.sources], by=review.reviewer.name)
        say(f"Signing off {review.title} as {review.chief_officer.name}")
        key, cert = throwaway_key(keys, review.chief_officer.name, review.agency)
        sign_off(folder, name=review.chief_officer.name, role=review.chief_officer.role,
                 key=key, cert=cert)
    police = load_review(POLICE)
    latest = state(police).latest
    held = receipts(CASE / "received" / "police")
    if not any((r / "signoff.json").is_file() and _number(r) == latest.record["number"]
               for r in held):
        package = keys.parent / "example-police-package.zip"
        say(f"Sending {police.title} to the panel as a package, and receiving it")
        submit(POLICE, package, by=police.reviewer.name)
        _, cert = throwaway_key(keys, police.chief_officer.name, police.agency)
        receive(CASE, package, by="Panel business unit", trust_roots=[cert])


def _number(receipt: Path) -> int | None:
    return json.loads((receipt / "receipt.json").read_text()).get("signoff")


if __name__ == "__main__":
    # pyHanko logs a self-signed trust root, which these throwaway keys are, as a stack trace.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    prepare(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("_build") / "example-keys")
