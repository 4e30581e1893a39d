"""Pages from git history: ``REV:path`` as ``git show`` spells it."""

from __future__ import annotations

import os
import subprocess

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.model import Spec


def read_git_page(spec: str, *, release: str | None = None, cwd: str | None = None) -> Spec:
    """Extract the page at ``REV:path`` of the git repository around ``cwd``."""
    rev, _, path = spec.partition(":")
    if not rev or not path:
        raise ExtractError("expected REV:path (as in `git show REV:path`)", path=spec)
    try:
        proc = subprocess.run(
            ["git", "show", f"{rev}:{path}"], capture_output=True, cwd=cwd, check=False
        )
    except FileNotFoundError:
        raise ExtractError("git is not installed, cannot read REV:path", path=spec) from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = message[-1] if message else f"git show exited {proc.returncode}"
        raise ExtractError(f"no such file or revision ({reason})", path=spec)
    from konvoy_portspec.extraction import extract_bytes

    return extract_bytes(
        proc.stdout,
        name=spec,
        path=os.path.join(rev, path) if release is None else path,
        release=release,
    )
