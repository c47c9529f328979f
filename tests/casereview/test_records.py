"""Secured records: every kind of interference is found and named; nothing is ever half-made."""

from __future__ import annotations

import json
import os
import random
import stat

import bagit
import pytest
from click.testing import CliRunner

from casereview import records
from casereview.cli import cli
from casereview.records import read_log, secure, verify


@pytest.fixture
def case(tmp_path, monkeypatch):
    """A review folder with one secured set of three files; the working directory is tmp_path."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rev").mkdir()
    source = tmp_path / "from-system"
    (source / "notes").mkdir(parents=True)
    (source / "notes" / "contact-log.txt").write_text("12/01/2015 Induction appointment.\n" * 20)
    (source / "oasys.txt").write_text("Risk of serious harm: medium.\n")
    (source / "referral.pdf").write_bytes(bytes(range(256)) * 8)
    secured = secure("rev", [source / "notes", source / "oasys.txt", source / "referral.pdf"],
                     by="Sam Lee", requested_by="LSCB chair")
    return secured


def messages(review="rev"):
    return [str(p) for p in verify(review).problems]


def writable(path):
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return path


def test_secure_makes_a_valid_read_only_bag_a_duplicate_and_a_log_entry(case, tmp_path):
    assert case.files == ["notes/contact-log.txt", "oasys.txt", "referral.pdf"]
    assert bagit.Bag(str(case.path)).is_valid()
    info = bagit.Bag(str(case.path)).info
    assert info["Secured-By"] == "Sam Lee" and info["Requested-By"] == "LSCB chair"
    for path in (case.path / "data").rglob("*"):
        if path.is_file():
            assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    for name in ("manifest-sha256.txt", "manifest-sha512.txt"):
        assert (case.path / name).is_file()
    duplicate = tmp_path / "rev" / "working" / case.name
    assert (duplicate / "oasys.txt").read_text() == "Risk of serious harm: medium.\n"
    entries, problems = read_log("rev")
    assert problems == [] and [e["action"] for e in entries] == ["secured"]
    assert messages() == []


@pytest.mark.parametrize(("damage", "expected"), [
    ("flip", 'rev/secured/{set}: error [record-changed] "referral.pdf" has been changed since it '
             "was secured."),
    ("truncate", 'rev/secured/{set}: error [record-changed] "oasys.txt" has been changed since '
                 "it was secured."),
    ("delete", 'rev/secured/{set}: error [record-missing] "notes/contact-log.txt" has been '
               "deleted or renamed."),
    ("add", 'rev/secured/{set}: error [record-added] "notes/later.txt" has been added since the '
            "set was secured."),
])
def test_each_interference_is_named(case, damage, expected):
    data = case.path / "data"
    if damage == "flip":
        path = writable(data / "referral.pdf")
        content = bytearray(path.read_bytes())
        content[100] ^= 0x01
        path.write_bytes(bytes(content))
    elif damage == "truncate":
        path = writable(data / "oasys.txt")
        path.write_bytes(path.read_bytes()[:-1])
    elif damage == "delete":
        (data / "notes" / "contact-log.txt").unlink()
    else:
        (data / "notes" / "later.txt").write_text("added")
    assert messages() == [expected.format(set=case.name)]


def test_rename_is_reported_as_both_names(case):
    data = case.path / "data"
    (data / "oasys.txt").rename(data / "oasys-old.txt")
    assert messages() == [
        f'rev/secured/{case.name}: error [record-missing] "oasys.txt" has been deleted or '
        "renamed.",
        f'rev/secured/{case.name}: error [record-added] "oasys-old.txt" has been added since the '
        "set was secured.",
    ]


def test_every_problem_at_once(case):
    data = case.path / "data"
    writable(data / "oasys.txt").write_text("changed")
    (data / "referral.pdf").unlink()
    (data / "extra.txt").write_text("x")
    codes = [p.code for p in verify("rev").problems]
    assert sorted(codes) == ["record-added", "record-changed", "record-missing"]


def test_bag_info_edit_is_interference(case):
    path = writable(case.path / "bag-info.txt")
    path.write_text(path.read_text().replace("Sam Lee", "Someone Else"))
    assert messages() == [f'rev/secured/{case.name}: error [record-changed] "bag-info.txt" has '
                          "been changed since it was secured."]


def test_timestamps_and_permissions_alone_are_warnings(case):
    path = case.path / "data" / "oasys.txt"
    os.utime(path, (0, 0))
    writable(path)
    result = verify("rev")
    assert result.errors == []
    assert [str(p) for p in result.problems] == [
        f'rev/secured/{case.name}: warning [record-writable] "oasys.txt" can be written to again '
        "(its content is unchanged). Make it read-only again.",
        f'rev/secured/{case.name}: warning [record-touched] "oasys.txt" has a new modification '
        "time (its content is unchanged).",
    ]


def test_edited_log_entry_is_detected(case):
    log = writable(case.path.parents[1] / "custody.jsonl")
    entry = json.loads(log.read_text())
    entry["who"] = "Somebody Else"
    log.write_text(json.dumps(entry) + "\n")
    assert messages() == [
        "rev/custody.jsonl:1: error [log-edited] entry 1 (secured by Somebody Else) has been "
        "changed since it was written. Compare the log with a copy held elsewhere."
    ]


def test_deleted_log_entry_is_detected(case, tmp_path):
    records.append_log("rev", "verified", "Chief Officer")
    records.append_log("rev", "exported", "Panel clerk")
    log = tmp_path / "rev" / "custody.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join([lines[0], lines[2]]) + "\n")
    assert messages() == [
        "rev/custody.jsonl:2: error [log-gap] entry 3 does not follow the entry before it: an "
        "entry has been removed, reordered or changed. Compare the log with a copy held "
        "elsewhere."
    ]


def test_deleting_the_whole_log_is_detected(case, tmp_path):
    (tmp_path / "rev" / "custody.jsonl").unlink()
    assert messages() == [
        f"rev/secured/{case.name}: error [log-missing-entry] the custody log has no entry for "
        "securing this set. The log has been cut or replaced; compare it with a copy held "
        "elsewhere."
    ]


def test_a_later_addition_is_a_new_set(case, tmp_path):
    (tmp_path / "late.txt").write_text("found later")
    second = secure("rev", [tmp_path / "late.txt"], by="Sam Lee")
    assert second.name.endswith("-2") and second.path != case.path
    assert (case.path / "data" / "oasys.txt").is_file()  # the first set is untouched
    assert messages() == []
    assert [e["action"] for e in read_log("rev")[0]] == ["secured", "secured"]


def test_interrupted_secure_leaves_nothing(case, tmp_path, monkeypatch):
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "rev").rglob("*"))
    log_before = (tmp_path / "rev" / "custody.jsonl").read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bagit, "make_bag", fail)
    (tmp_path / "late.txt").write_text("found later")
    with pytest.raises(OSError):
        secure("rev", [tmp_path / "late.txt"], by="Sam Lee")
    after = sorted(p.relative_to(tmp_path) for p in (tmp_path / "rev").rglob("*"))
    assert after == before
    assert (tmp_path / "rev" / "custody.jsonl").read_bytes() == log_before


def test_interrupted_log_write_removes_the_new_set(case, tmp_path, monkeypatch):
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "rev").rglob("*"))
    monkeypatch.setattr(records, "append_log", lambda *a, **k: (_ for _ in ()).throw(
        KeyboardInterrupt()))
    (tmp_path / "late.txt").write_text("found later")
    with pytest.raises(KeyboardInterrupt):
        secure("rev", [tmp_path / "late.txt"], by="Sam Lee")
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "rev").rglob("*")) == before


def test_a_thousand_random_single_byte_changes_are_all_found(case):
    files = [p for p in (case.path / "data").rglob("*") if p.is_file()]
    originals = {p: p.read_bytes() for p in files}
    for p in files:
        writable(p)
    rng = random.Random(20161118)
    found = 0
    for _ in range(1000):
        path = rng.choice(files)
        content = bytearray(originals[path])
        content[rng.randrange(len(content))] ^= rng.randrange(1, 256)
        path.write_bytes(bytes(content))
        problems = verify("rev").problems
        found += any(p.code == "record-changed" and path.name in p.message for p in problems)
        path.write_bytes(originals[path])
    assert found == 1000


def test_cli(case, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["records", "verify", "rev", "--by", "D Okonjo"])
    assert result.exit_code == 0, result.output
    assert result.output == "1 secured set, 3 files: every file matches what was secured.\n"
    result = runner.invoke(cli, ["records", "log", "rev"])
    assert result.exit_code == 0
    assert "secured   Sam Lee" in result.output and "verified  D Okonjo" in result.output
    assert "Chain intact: 2 entries" in result.output
    (case.path / "data" / "referral.pdf").unlink()
    result = runner.invoke(cli, ["records", "verify", "rev"])
    assert result.exit_code == 1
    assert '"referral.pdf" has been deleted or renamed.' in result.output
    assert "Interference found: 1 problem." in result.output


def test_cli_secure_missing_source(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rev").mkdir()
    result = CliRunner().invoke(cli, ["records", "secure", "rev", "nowhere.csv", "--by", "S"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "nowhere.csv: error [source-missing] there is no such file or folder. Check the path.",
        "Stopped: 1 problem to fix.",
    ]
    assert not (tmp_path / "rev" / "custody.jsonl").exists()
    assert not any((tmp_path / "rev" / "secured").iterdir())


def rewrite_consistently(case, name: str, content: bytes) -> None:
    """What a careful attacker does: change a record, then every manifest to match."""
    import hashlib

    folder = case.path
    for path in folder.rglob("*"):
        if path.is_file():
            writable(path)
    (folder / "data" / name).write_bytes(content)
    for algorithm in ("sha256", "sha512"):
        lines = []
        for line in (folder / f"manifest-{algorithm}.txt").read_text().splitlines():
            digest, listed = line.split(" ", 1)
            if listed.strip() == f"data/{name}":
                digest = hashlib.new(algorithm, content).hexdigest()
            lines.append(f"{digest}  {listed.strip()}")
        (folder / f"manifest-{algorithm}.txt").write_text("\n".join(lines) + "\n")
    payload = [p for p in (folder / "data").rglob("*") if p.is_file()]
    oxum = f"{sum(p.stat().st_size for p in payload)}.{len(payload)}"
    info = folder / "bag-info.txt"
    info.write_text("\n".join(f"Payload-Oxum: {oxum}" if line.startswith("Payload-Oxum") else line
                              for line in info.read_text().splitlines()) + "\n")
    for algorithm in ("sha256", "sha512"):
        lines = []
        for line in (folder / f"tagmanifest-{algorithm}.txt").read_text().splitlines():
            digest, listed = line.split(" ", 1)
            digest = hashlib.new(algorithm, (folder / listed.strip()).read_bytes()).hexdigest()
            lines.append(f"{digest}  {listed.strip()}")
        (folder / f"tagmanifest-{algorithm}.txt").write_text("\n".join(lines) + "\n")


def test_a_record_changed_with_every_manifest_rewritten_is_found(case):
    rewrite_consistently(case, "oasys.txt", b"Risk of serious harm: low.\n")
    assert bagit.Bag(str(case.path)).is_valid()  # BagIt alone is satisfied
    assert [p.code for p in verify("rev").errors] == ["set-rewritten"]


@pytest.mark.parametrize(("damage", "code"), [
    ("manifest not text", "manifest-unreadable"),
    ("manifest line without its separator", "manifest-unreadable"),
    ("record replaced by a link", "record-replaced"),
    ("times file not an object", None),
])
def test_damaged_set_files_are_findings_never_a_crash(case, tmp_path, damage, code):
    folder = case.path
    for path in folder.rglob("*"):
        if path.is_file():
            writable(path)
    if damage == "manifest not text":
        (folder / "manifest-sha256.txt").write_bytes(b"\xff\xfe\x00garbage")
    elif damage == "manifest line without its separator":
        (folder / "manifest-sha256.txt").write_text("0123456789abcdef\n")
    elif damage == "record replaced by a link":
        (tmp_path / "elsewhere.txt").write_text("Risk of serious harm: medium.\n")
        (folder / "data" / "oasys.txt").unlink()
        (folder / "data" / "oasys.txt").symlink_to(tmp_path / "elsewhere.txt")
    else:
        (folder / "casereview-file-times.json").write_text("[]")
    found = [p.code for p in verify("rev").errors]
    if code:
        assert code in found
    result = CliRunner().invoke(cli, ["records", "verify", "rev"])
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_custody_log_that_is_not_entries_is_a_finding(case, tmp_path):
    (tmp_path / "rev" / "custody.jsonl").write_text("[]\n")
    assert "log-broken" in [p.code for p in verify("rev").errors]


def test_secure_refuses_links_and_leaves_out_lock_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rev").mkdir()
    source = tmp_path / "exports"
    source.mkdir()
    (source / "police.xlsx").write_bytes(b"PK workbook")
    (source / "~$police.xlsx").write_bytes(b"lock")
    (source / ".~lock.police.xlsx#").write_text("lock")
    (source / "Thumbs.db").write_bytes(b"thumbs")
    secured = secure("rev", [source], by="Sam Lee")
    assert secured.files == ["exports/police.xlsx"]
    assert sorted(secured.skipped) == ["exports/.~lock.police.xlsx#", "exports/Thumbs.db",
                                       "exports/~$police.xlsx"]
    (source / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(records.RecordsError) as caught:
        secure("rev", [source], by="Sam Lee")
    assert [str(p) for p in caught.value.problems] == [
        "exports/passwd: error [source-link] this is a link to another file or folder, which "
        "is not secured. Secure the file itself, not a link to it."]


def test_every_verify_is_logged_passed_or_failed(case):
    runner = CliRunner()
    runner.invoke(cli, ["records", "verify", "rev", "--by", "D Okonjo"])
    (case.path / "data" / "referral.pdf").unlink()
    runner.invoke(cli, ["records", "verify", "rev", "--by", "D Okonjo"])
    verified = [e for e in read_log("rev")[0] if e["action"] == "verified"]
    assert [e["details"]["passed"] for e in verified] == [True, False]
    assert verified[1]["details"]["findings"] == [f"record-missing: rev/secured/{case.name}"]


MUTATIONS = ("flip a byte", "truncate", "append", "delete", "rename", "add a file",
             "rewrite with manifests", "edit bag-info", "replace by a link", "empty a manifest")


def test_two_hundred_random_mutations_of_a_secured_set_are_all_found(case, tmp_path):
    """Every kind of change a person or program could make to a secured set is found; the docs
    list what verify cannot see (a set and its log rewritten together)."""
    import shutil

    pristine = tmp_path / "pristine"
    shutil.copytree(case.path, pristine)
    rng = random.Random(20161118)
    missed = []
    for number in range(200):
        shutil.rmtree(case.path)
        shutil.copytree(pristine, case.path)
        for path in case.path.rglob("*"):
            if path.is_file():
                writable(path)
        files = sorted(p for p in (case.path / "data").rglob("*") if p.is_file())
        target = rng.choice(files)
        kind = MUTATIONS[number % len(MUTATIONS)]
        if kind == "flip a byte":
            content = bytearray(target.read_bytes())
            content[rng.randrange(len(content))] ^= rng.randrange(1, 256)
            target.write_bytes(bytes(content))
        elif kind == "truncate":
            target.write_bytes(target.read_bytes()[:rng.randrange(len(target.read_bytes()))])
        elif kind == "append":
            target.write_bytes(target.read_bytes() + bytes([rng.randrange(256)]))
        elif kind == "delete":
            target.unlink()
        elif kind == "rename":
            target.rename(target.with_name("renamed-" + target.name))
        elif kind == "add a file":
            (case.path / "data" / f"extra-{number}.txt").write_text("slipped in")
        elif kind == "rewrite with manifests":
            rewrite_consistently(case, target.relative_to(case.path / "data").as_posix(),
                                 target.read_bytes() + b"x")
        elif kind == "edit bag-info":
            info = case.path / "bag-info.txt"
            info.write_text(info.read_text().replace("Sam Lee", "Someone Else"))
        elif kind == "replace by a link":
            (tmp_path / "copy").write_bytes(target.read_bytes())
            target.unlink()
            target.symlink_to(tmp_path / "copy")
        else:
            (case.path / "manifest-sha512.txt").write_text("")
        if not verify("rev").errors:
            missed.append((number, kind, target.name))
    assert missed == []
