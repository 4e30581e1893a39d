"""Files from git history: ``REV:path`` as ``git show`` spells it.

A ``REV:path`` comes from a command line or a CI config that anyone may have written, so
it is checked before git sees it: the revision must be one git resolves to a commit
(``git rev-parse --verify --end-of-options REV^{commit}``), neither part may start with
``-`` or hold a newline or NUL, and git always runs with ``--end-of-options`` and without
a shell, so ``--output=/tmp/x:y`` is never an option to git.
"""

from __future__ import annotations

from konvoy_portspec.errors import ExtractError
from konvoy_portspec.io.files import MAX_PAGE_SIZE

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess


def split_rev_path(rev_path: str) -> tuple[str, str]:
    """``(REV, path)`` of a ``REV:path``; :class:`ExtractError` for anything git could
    mistake for an option or that is not one line."""
    shown = rev_path.encode("unicode_escape").decode("ascii")  # one line in messages
    rev, sep, path = rev_path.partition(":")
    if not sep or not rev or not path:
        raise ExtractError("expected REV:path (as in `git show REV:path`)", path=shown)
    if rev.startswith("-") or path.startswith("-"):
        raise ExtractError("a revision or path may not start with '-'", path=shown)
    if any(c in rev_path for c in "\n\r\x00") or not rev_path.isprintable():
        raise ExtractError("a revision or path must be one line of printable text", path=shown)
    return rev, path


def _git(args: list[str], cwd: str | None, shown: str) -> subprocess.CompletedProcess[bytes]:
    import subprocess

    try:
        return subprocess.run(["git", *args], capture_output=True, cwd=cwd, check=False)
    except FileNotFoundError:
        raise ExtractError("git is not installed, cannot read REV:path", path=shown) from None
    except OSError as exc:
        raise ExtractError(f"cannot run git: {exc.strerror or exc}", path=shown) from None


def _reason(proc: subprocess.CompletedProcess[bytes], what: str) -> str:
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    last = lines[-1] if lines else f"{what} exited {proc.returncode}"
    return last.encode("unicode_escape").decode("ascii")


def read_git_blob(rev_path: str, *, cwd: str | None = None, limit: int = MAX_PAGE_SIZE) -> bytes:
    """The bytes of the file at ``REV:path`` in the git repository around ``cwd``; a
    file larger than ``limit`` bytes (by default, as for a page on disk) is an error."""
    rev, path = split_rev_path(rev_path)
    shown = rev_path
    check = _git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], cwd, shown
    )
    if check.returncode != 0:
        raise ExtractError(
            f"no such revision {rev!r} ({_reason(check, 'git rev-parse')})", path=shown
        )
    commit = check.stdout.decode("ascii", "replace").strip()
    proc = _git(["cat-file", "blob", "--end-of-options", f"{commit}:{path}"], cwd, shown)
    if proc.returncode != 0:
        raise ExtractError(f"no such file in {rev} ({_reason(proc, 'git cat-file')})", path=shown)
    if len(proc.stdout) > limit:
        raise ExtractError(f"is larger than the limit of {limit:,} bytes; not read", path=shown)
    return proc.stdout
