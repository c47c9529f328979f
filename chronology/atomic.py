"""Writing a file so that no reader ever sees half of it.

Everything casereview writes goes to a temporary file beside the target and is renamed over it
only when complete; an interruption leaves the old file, or none, never a partial one.
"""

from __future__ import annotations

import glob
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: Path | str, content: bytes | str | Callable[[Path], object], *,
                 suffix: str = "") -> Path:
    """Write ``content`` (bytes, text, or a function that writes to the path it is given)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A write stopped part-way (the machine turned off, the command killed) leaves its
    # temporary file; the next write of the same file removes it.
    for unfinished in path.parent.glob(f".{glob.escape(path.name)}.*"):
        if unfinished.is_file():
            unfinished.unlink()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    try:
        if isinstance(content, str):
            Path(temporary).write_text(content, encoding="utf-8")
        elif isinstance(content, bytes):
            Path(temporary).write_bytes(content)
        else:
            content(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
