"""Secured case records: a tamper-evident snapshot, a working duplicate, and a custody log.

When a review is requested the agency must secure its case records "to guard against loss or
interference" and work from a duplicate. Here a secured set is a BagIt bag (Library of Congress
format; sha256 and sha512 manifests) under ``secured/`` in the review folder, with its files made
read-only; the duplicate goes under ``working/``. Every action is appended to ``custody.jsonl``,
where each entry holds the hash of the one before, so an edited or deleted entry shows.

Nothing is half-made: a set is built in a temporary folder and renamed into place, and the log
entry is written only once both the set and the duplicate exist.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from chronology.atomic import atomic_write
from chronology.problems import CaseReviewError, Problem, Severity, display_path

from . import __version__

SECURED = "secured"
WORKING = "working"
LOG = "custody.jsonl"
ALGORITHMS = ("sha256", "sha512")
_TIMES = "casereview-times.json"  # tag file: each payload file's modification time when secured


class RecordsError(CaseReviewError):
    """Records could not be secured, or a secured set or the custody log fails its check."""


@dataclass
class SecuredSet:
    path: Path
    secured_at: datetime
    secured_by: str
    files: list[str]
    #: Unfinished copies an interrupted run of secure left, removed before this one began.
    cleared: list[Path] = field(default_factory=list)
    #: Lock and temporary files found among the records and left out.
    skipped: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Verification:
    sets: list[SecuredSet] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _digest(path: Path, algorithm: str) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


# --- custody log -------------------------------------------------------------------------------

def _entry_hash(entry: dict) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def read_log(review_dir: Path) -> tuple[list[dict], list[Problem]]:
    """The custody log's entries, and a problem for every break in the chain."""
    path = Path(review_dir) / LOG
    name = display_path(path)
    if not path.exists():
        return [], []
    entries, problems = [], []
    previous = ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError("not an entry")
        except ValueError:
            problems.append(Problem("log-broken", "the entry is not readable.", name, number,
                                    hint="The log has been edited by hand; compare it with a "
                                    "copy held elsewhere."))
            previous = ""
            continue
        if entry.get("hash") != _entry_hash(entry):
            problems.append(Problem("log-edited", f"entry {entry.get('seq', '?')} "
                                    f"({entry.get('action', '?')} by {entry.get('who', '?')}) has "
                                    "been changed since it was written.", name, number,
                                    hint="Compare the log with a copy held elsewhere."))
        if entry.get("prev") != previous:
            problems.append(Problem("log-gap", f"entry {entry.get('seq', '?')} does not follow "
                                    "the entry before it: an entry has been removed, reordered "
                                    "or changed.", name, number,
                                    hint="Compare the log with a copy held elsewhere."))
        previous = entry.get("hash", "")
        entries.append(entry)
    return entries, problems


def append_log(review_dir: Path, action: str, who: str, **details) -> dict:
    """Add one entry to the custody log (written whole to a temporary file, then renamed)."""
    path = Path(review_dir) / LOG
    entries, problems = read_log(review_dir)
    if problems:
        raise RecordsError(problems)
    entry = {
        "seq": len(entries) + 1,
        "at": _now().isoformat(),
        "who": who,
        "action": action,
        "details": details,
        "tool": f"casereview {__version__}",
        "prev": entries[-1]["hash"] if entries else "",
    }
    entry["hash"] = _entry_hash(entry)
    existing = path.read_bytes() if path.exists() else b""
    atomic_write(path, existing + json.dumps(entry, ensure_ascii=False).encode() + b"\n")
    return entry


# --- securing ----------------------------------------------------------------------------------

def _set_name(root: Path, when: datetime) -> str:
    day = when.date().isoformat()
    taken = {p.name for p in root.iterdir()} if root.exists() else set()
    number = 1
    while f"{day}-{number}" in taken or f".{day}-{number}" in taken:
        number += 1
    return f"{day}-{number}"


#: Files that office programs and operating systems leave beside documents: an open
#: workbook's lock file (~$police.xlsx), LibreOffice's (.~lock.police.xlsx#), folder thumbnails.
_NOT_RECORDS = re.compile(r"~\$.*|\.~lock\..*#|.*\.tmp|Thumbs\.db|desktop\.ini|\.DS_Store",
                          re.IGNORECASE)


def _copy_sources(sources: list[Path], target: Path) -> tuple[list[str], list[str]]:
    """Copy the records into ``target``: the files copied, and the lock and temporary files
    left out. A link is refused: what it points to could be anything on the machine."""
    problems = []
    files: list[tuple[Path, str]] = []
    skipped: list[str] = []
    for source in sources:
        if not source.exists() and not source.is_symlink():
            problems.append(Problem("source-missing", "there is no such file or folder.",
                                    display_path(source), hint="Check the path."))
            continue
        found = [(source, source.name)] if not source.is_dir() or source.is_symlink() else \
            [(p, p.relative_to(source.parent).as_posix()) for p in sorted(source.rglob("*"))
             if not p.is_dir() or p.is_symlink()]
        for path, name in found:
            if path.is_symlink():
                # Named as the link, not where it leads: that is what the user gave.
                shown = f"{display_path(path.parent)}/{path.name}"
                problems.append(Problem("source-link", "this is a link to another file or "
                                        "folder, which is not secured.", shown,
                                        hint="Secure the file itself, not a link to it."))
            elif _NOT_RECORDS.fullmatch(path.name):
                skipped.append(name)
            else:
                files.append((path, name))
    if problems:
        raise RecordsError(problems)
    for path, name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / name)
    return sorted(name for _, name in files), skipped


def set_fingerprint(folder: Path) -> str:
    """The SHA-256 of a set's tag manifest, which lists the fingerprint of every other file of
    the set: kept in the custody log (and the sign-off), so that rewriting a record and every
    manifest to match is still found."""
    return _digest(folder / f"tagmanifest-{ALGORITHMS[0]}.txt", ALGORITHMS[0])


def _make_read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def secure(review_dir: Path | str, sources: list[Path | str], *, by: str,
           requested_by: str | None = None, note: str | None = None,
           review_title: str = "") -> SecuredSet:
    """Secure copies of ``sources`` as a new, dated BagIt set and make a working duplicate."""
    import bagit

    review_dir = Path(review_dir)
    sources = [Path(s) for s in sources]
    if not by.strip():
        raise RecordsError([Problem("secured-by-missing", "say who is securing the records.",
                                    hint="Give --by with the person's name.")])
    secured_root = review_dir / SECURED
    working_root = review_dir / WORKING
    secured_root.mkdir(exist_ok=True)
    working_root.mkdir(exist_ok=True)
    cleared = _clear_unfinished(secured_root, working_root)
    when = _now()
    name = _set_name(secured_root, when)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=secured_root))
    duplicate = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=working_root))
    final_set, final_copy = secured_root / name, working_root / name
    try:
        files, skipped = _copy_sources(sources, staging)
        if not files:
            raise RecordsError([Problem("nothing-to-secure", "no files were found to secure.",
                                        hint="Give the files or folders holding the records.")])
        times = {f: datetime.fromtimestamp((staging / f).stat().st_mtime, UTC).isoformat()
                 for f in files}
        for f in files:
            (duplicate / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(staging / f, duplicate / f)
        entries, log_problems = read_log(review_dir)
        if log_problems:
            raise RecordsError(log_problems)
        info = {
            "Source-Organization": review_title or review_dir.name,
            "Secured-By": by,
            "Secured-At": when.isoformat(),
            "Bagging-Software": f"casereview {__version__}",
            "Custody-Log-Head": entries[-1]["hash"] if entries else "",
        }
        if requested_by:
            info["Requested-By"] = requested_by
        if note:
            info["Internal-Sender-Description"] = note
        bag = bagit.make_bag(str(staging), bag_info=info, checksums=list(ALGORITHMS))
        # A tag file beside the payload, so the tag manifests protect it too.
        (staging / _TIMES).write_text(json.dumps(times, indent=1))
        bag.save()
        _make_read_only(staging)
        staging.rename(final_set)
        duplicate.rename(final_copy)
        try:
            append_log(review_dir, "secured", by, set=name, files=files,
                       requested_by=requested_by or "", note=note or "",
                       fingerprint=set_fingerprint(final_set), skipped=skipped)
        except BaseException:
            _remove(final_set)
            shutil.rmtree(final_copy, ignore_errors=True)
            raise
    finally:
        _remove(staging)
        shutil.rmtree(duplicate, ignore_errors=True)
    return SecuredSet(final_set, when, by, files, cleared, skipped)


def _clear_unfinished(*roots: Path) -> list[Path]:
    """Remove the hidden staging copies (".2016-07-19-1.x8k2") that a run of secure killed
    part-way leaves: copies of case records that are neither a set nor a duplicate."""
    found = sorted(p for root in roots for p in root.glob(".*") if p.is_dir()
                   and re.fullmatch(r"\.\d{4}-\d{2}-\d{2}-\d+\..+", p.name))
    for folder in found:
        _remove(folder)
    return found


def _remove(folder: Path) -> None:
    if not folder.exists():
        return
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IWUSR | stat.S_IRUSR)
    shutil.rmtree(folder)


# --- reading and verifying ---------------------------------------------------------------------

def secured_sets(review_dir: Path | str) -> list[SecuredSet]:
    root = Path(review_dir) / SECURED
    if not root.is_dir():
        return []
    sets = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        info = _bag_info(folder)
        at = info.get("Secured-At", "")
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            when = datetime.fromtimestamp(folder.stat().st_mtime, UTC)
        files = sorted(p.relative_to(folder / "data").as_posix()
                       for p in (folder / "data").rglob("*") if p.is_file()) \
            if (folder / "data").is_dir() else []
        sets.append(SecuredSet(folder, when, info.get("Secured-By", ""), files))
    return sets


def secured_on(review_dir: Path | str) -> date | None:
    """The day the first set of records was secured, for the review's title block."""
    sets = secured_sets(review_dir)
    return min(s.secured_at for s in sets).date() if sets else None


def _bag_info(folder: Path) -> dict[str, str]:
    info = {}
    path = folder / "bag-info.txt"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if ":" in line and not line.startswith((" ", "\t")):
                key, value = line.split(":", 1)
                info[key.strip()] = value.strip()
    return info


class _Unreadable(ValueError):
    """A file of the set's own that cannot be read as BagIt writes it."""


def _manifest(path: Path) -> dict[str, str]:
    entries = {}
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise _Unreadable(f"{path.name} is not text as BagIt writes it") from None
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                digest, _, name = line.partition(" ")
                if not name.strip():
                    raise _Unreadable(f"line {number} of {path.name} lists no file")
                entries[name.strip()] = digest
    return entries


def _verify_set(folder: Path, log_hashes: set[str]) -> list[Problem]:
    import bagit

    problems: list[Problem] = []
    where = display_path(folder)

    def add(code, message, severity=Severity.ERROR, hint=""):
        problems.append(Problem(code, message, where, hint=hint, severity=severity))

    times = {}
    if (folder / _TIMES).is_file():
        try:
            times = json.loads((folder / _TIMES).read_text(encoding="utf-8"))
        except ValueError:
            times = {}
        times = times if isinstance(times, dict) else {}
    for algorithm in ALGORITHMS:
        for kind, manifest in (("payload", f"manifest-{algorithm}.txt"),
                               ("tag", f"tagmanifest-{algorithm}.txt")):
            if not (folder / manifest).is_file():
                add("manifest-missing", f"{manifest} is missing: the set cannot be checked "
                    "completely.")
                continue
            try:
                listed = _manifest(folder / manifest)
            except _Unreadable as exc:
                add("manifest-unreadable", f"{exc}: the set's manifests have been altered.")
                continue
            for name, expected in listed.items():
                path = folder / name
                shown = name.removeprefix("data/") if kind == "payload" else name
                if path.is_symlink():
                    if algorithm == ALGORITHMS[0]:
                        add("record-replaced", f'"{shown}" has been replaced by a link to '
                            "another file.")
                    continue
                if not path.is_file():
                    if algorithm == ALGORITHMS[0]:
                        add("record-missing", f'"{shown}" has been deleted or renamed.')
                    continue
                if _digest(path, algorithm) != expected:
                    if algorithm == ALGORITHMS[0]:
                        add("record-changed", f'"{shown}" has been changed since it was '
                            "secured.")
                    elif not any(p.message.startswith(f'"{shown}"') for p in problems):
                        add("record-changed", f'"{shown}" has been changed since it was '
                            f"secured (only its {algorithm} no longer matches).")
    try:
        listed = set(_manifest(folder / f"manifest-{ALGORITHMS[0]}.txt"))
    except _Unreadable:
        listed = set()  # already reported
    if (folder / "data").is_dir():
        for path in sorted((folder / "data").rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.is_file() and relative not in listed:
                add("record-added", f'"{relative.removeprefix("data/")}" has been added since '
                    "the set was secured.")
    if not problems:
        for name in listed:
            path = folder / name
            shown = name.removeprefix("data/")
            if path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
                add("record-writable", f'"{shown}" can be written to again (its content is '
                    "unchanged).", Severity.WARNING, "Make it read-only again.")
            written = times.get(shown)
            if written and datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat() != written:
                add("record-touched", f'"{shown}" has a new modification time (its content is '
                    "unchanged).", Severity.WARNING)
        try:
            valid = bagit.Bag(str(folder)).is_valid()
        except (bagit.BagError, OSError, ValueError):
            valid = False
        if not valid:
            add("bag-invalid", "the BagIt checker rejects this set although every file matches; "
                "its bag files have been altered.")
    head = _bag_info(folder).get("Custody-Log-Head")
    if head and head not in log_hashes:
        add("log-missing-entry", "the custody log no longer holds the entry this set "
                "follows.", hint="The log has been cut; compare it with a copy held elsewhere.")
    return problems


def records_not_secured(review_dir: Path | str, paths: list[Path]) -> list[Problem]:
    """The record files a review reads that match no file of its latest secured set: the
    chronology would then show records other than those the chief officer confirms were
    secured. Warnings; sign-off makes them errors."""
    sets = secured_sets(review_dir)
    if not sets:
        return []
    latest = max(sets, key=lambda s: (s.secured_at, s.name))
    try:
        secured = set(_manifest(latest.path / f"manifest-{ALGORITHMS[0]}.txt").values())
    except _Unreadable:
        return []  # verify reports the damaged set
    return [Problem("records-differ", f"this record file is not one of the files secured in "
                    f"{latest.name}, the latest secured set: it has been changed or added "
                    "since.", display_path(path), severity=Severity.WARNING,
                    hint="Build the chronology from the working duplicate, or secure the "
                    "records again.")
            for path in paths if path.is_file() and _digest(path, ALGORITHMS[0]) not in secured]


def verify_and_record(review_dir: Path | str, by: str) -> Verification:
    """Verify, and write the outcome, passed or failed, to the custody log, unless the log
    itself is what is broken (a broken log takes no new entries)."""
    result = verify(review_dir)
    if not any(p.code.startswith("log-") for p in result.problems):
        append_log(Path(review_dir), "verified", by, sets=[s.name for s in result.sets],
                   passed=not result.errors,
                   findings=[f"{p.code}: {p.path}" for p in result.errors])
    return result


def verify(review_dir: Path | str) -> Verification:
    """Check every secured set and the custody log; every finding is collected."""
    review_dir = Path(review_dir)
    result = Verification(sets=secured_sets(review_dir))
    if not result.sets:
        result.problems.append(Problem("records-unsecured", "no records have been secured for "
                                       "this review.", display_path(review_dir),
                                       hint="Secure them with casereview records secure."))
        return result
    entries, log_problems = read_log(review_dir)
    hashes = {e.get("hash", "") for e in entries} | {""}
    logged = {e["details"].get("set"): e["details"] for e in entries
              if e.get("action") == "secured" and isinstance(e.get("details"), dict)}
    for secured in result.sets:
        result.problems += _verify_set(secured.path, hashes)
        fingerprint = logged.get(secured.name, {}).get("fingerprint")
        if fingerprint and (secured.path / f"tagmanifest-{ALGORITHMS[0]}.txt").is_file() and \
                set_fingerprint(secured.path) != fingerprint:
            result.problems.append(Problem("set-rewritten", "the set's manifests have been "
                                           "rewritten since it was secured: its fingerprint "
                                           "no longer matches the custody log, so a record may "
                                           "have been changed and its fingerprints made to "
                                           "match.", display_path(secured.path),
                                           hint="Compare the records with the copy given to "
                                           "the panel, or secure them again from the source "
                                           "system."))
        if secured.name not in logged:
            result.problems.append(Problem("log-missing-entry", "the custody log has no entry for "
                                           "securing this set.", display_path(secured.path),
                                           hint="The log has been cut or replaced; compare it "
                                           "with a copy held elsewhere."))
    result.problems += log_problems
    return result
