"""Live preview while writing: the review's web pages rebuilt whenever a file changes, and the
page in the browser reloaded, by sphinx-autobuild.

The pages are served on this computer only (127.0.0.1): no one else on the network can see
them, and nothing is sent anywhere.
"""

from __future__ import annotations

from pathlib import Path

from .build import default_outdir
from .model import find_workspace, load_review

HOST = "127.0.0.1"
#: Folders of a review that are not its sources; a change there rebuilds nothing.
_NOT_WATCHED = ("secured", "working", "signoff", "_build")


def preview_arguments(review_dir: Path | str, *, port: int) -> list[str]:
    """sphinx-autobuild's arguments for a review: its folder with the workspace's conf.py, the
    output beside the review's other builds, and the board's templates watched too."""
    review = load_review(review_dir)  # review.toml is checked before anything starts
    workspace = find_workspace(review.root)
    arguments = [str(review.root), str(default_outdir(review.root) / "preview"),
                 "--conf-dir", str(workspace), "--host", HOST, "--port", str(port), "--quiet"]
    for folder in ("templates", "_templates", "_static"):
        if (workspace / folder).is_dir():
            arguments += ["--watch", str(workspace / folder)]
    for name in _NOT_WATCHED:
        arguments += ["--ignore", f"*/{name}/*"]
    return arguments


def preview(review_dir: Path | str, *, port: int = 8000) -> None:
    """Serve the review's pages and rebuild them on every change, until stopped (Ctrl+C)."""
    from sphinx_autobuild.__main__ import main

    main(preview_arguments(review_dir, port=port))
