"""Opening one "side" of a comparison: whatever a user may name where a spec belongs.

A side is a bundled release (``v2.1``, ``2.1``, ``latest``), a spec JSON file, a docs
page (markdown or HTML, extracted on the fly), a page in git (``REV:path``), or ``-``
(standard input: spec JSON or a page, told apart by its first character). The CLI's
commands and the Sphinx extension open sides through :func:`open_side`, so each kind of
name means the same thing everywhere.
"""

from __future__ import annotations

import os

from konvoy_portspec.errors import ExtractError, PortSpecError, SpecFormatError
from konvoy_portspec.io import bundled
from konvoy_portspec.io.files import MAX_PAGE_SIZE, MAX_SPEC_SIZE, read_bytes
from konvoy_portspec.io.spec_json import load_file, loads
from konvoy_portspec.model import Spec
from konvoy_portspec.release_names import names_release

TYPE_CHECKING = False
if TYPE_CHECKING:
    from konvoy_portspec.extraction import ExtractWarning

STDIN = "-"


def is_git_side(arg: str) -> bool:
    """``REV:path``: not a file here, and a colon after a non-empty revision."""
    return arg != STDIN and ":" in arg.lstrip(":") and not os.path.exists(arg)


def open_side(arg: str, *, label: str | None = None, release: str | None = None) -> Spec:
    """The spec a user means by ``arg``. Errors say which side failed when ``label`` is
    given (``old side: ...``)."""
    try:
        if not arg.strip():
            raise ExtractError("an empty name: give a release, a spec file or a page", path="''")
        if arg == STDIN:
            return _open_stdin(release)
        if names_release(arg):
            return bundled.load(arg)
        if arg.endswith(".json") and os.path.isfile(arg):
            return load_file(arg)
        return open_page(arg, release=release)
    except PortSpecError as exc:
        if label:
            exc.context = label
        raise


def open_page(
    arg: str,
    *,
    release: str | None = None,
    warnings: list[ExtractWarning] | None = None,
    keep_going: bool = False,
    max_page_size: int = MAX_PAGE_SIZE,
) -> Spec:
    """A docs page, extracted: a file, ``-`` (stdin), or ``REV:path`` read from git.
    ``warnings`` and ``keep_going``: see :func:`konvoy_portspec.extraction.extract_text`;
    a page larger than ``max_page_size`` bytes (a file, standard input or a file in git)
    is an error, not read."""
    # The extraction modules compile their patterns on import (~10 ms, a third of the
    # CLI's start): imported when a page is opened, not for a release or a spec file.
    from konvoy_portspec.extraction import extract_bytes, extract_file

    if arg == STDIN:
        name, raw = read_bytes(STDIN, ExtractError, "page", limit=max_page_size)
        return extract_bytes(
            raw, name=name, release=release, warnings=warnings, keep_going=keep_going
        )
    if is_git_side(arg):
        return read_git_page(
            arg,
            release=release,
            warnings=warnings,
            keep_going=keep_going,
            max_page_size=max_page_size,
        )
    return extract_file(
        arg, release=release, warnings=warnings, keep_going=keep_going, max_size=max_page_size
    )


def read_git_page(
    rev_path: str,
    *,
    release: str | None = None,
    cwd: str | None = None,
    warnings: list[ExtractWarning] | None = None,
    keep_going: bool = False,
    max_page_size: int = MAX_PAGE_SIZE,
) -> Spec:
    """Extract the page at ``REV:path``; its release may come from the path's folder. A
    file larger than ``max_page_size`` bytes is an error, not read."""
    from konvoy_portspec.extraction import extract_bytes
    from konvoy_portspec.io.git import read_git_blob, split_rev_path

    raw = read_git_blob(rev_path, cwd=cwd, limit=max_page_size)
    rev, path = split_rev_path(rev_path)
    return extract_bytes(
        raw,
        name=rev_path,
        path=os.path.join(rev, path) if release is None else path,
        release=release,
        warnings=warnings,
        keep_going=keep_going,
    )


def _open_stdin(release: str | None) -> Spec:
    """Standard input holds spec JSON (it starts with ``{``) or a page."""
    name, raw = read_bytes(STDIN, SpecFormatError, "input", limit=MAX_SPEC_SIZE)
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return loads(raw, path=name)
    from konvoy_portspec.extraction import extract_bytes

    return extract_bytes(raw, name=name, release=release)
