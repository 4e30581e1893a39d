"""Which files a scan reads, and reading one of them without trusting the tree.

A docs tree is a checkout anyone can commit to, so a "page" may be a FIFO (opening it
waits for a writer), a link to ``/dev/zero`` (reading it never ends), a link loop, or a
file of gigabytes. Only regular files are read: FIFOs, devices and sockets are passed
over (the walk knows them from the folder listing, without opening them); links to
folders are not followed, links to files only while they stay inside the scanned
folder; and a page is read only up to a size limit.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence

from konvoy_portspec.errors import PortSpecError
from konvoy_portspec.io.files import kind_of

#: File endings of docs pages (markdown and MDX, HTML).
PAGE_SUFFIXES = (".md", ".markdown", ".mdx", ".html", ".htm")
#: Directories never scanned besides hidden ones: dependencies and build output.
SKIP_DIRS = frozenset({"node_modules", "_build"})

#: O_NONBLOCK: a FIFO that slipped in after the walk opens at once instead of waiting
#: for a writer. O_NOFOLLOW: a link fails to open, so the fast path needs no ``lstat``;
#: links take the slow path of :func:`_open_link`.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | _NOFOLLOW


class Unreadable(Exception):
    """A page that should have been readable and was not: the scan reports an error."""


class NotAPage(Exception):
    """A file with a page's name that is not one to read (a FIFO, a device, a link out
    of the tree): the scan passes it over with a warning."""


def excluder(patterns: Sequence[str]) -> Callable[[str, str], bool] | None:
    """A test ``(name, path) -> excluded`` for ``--exclude`` patterns, or ``None``.

    A pattern without ``/`` is a name: it matches a file or folder of that name anywhere
    (``public``, ``*.html``). A pattern with ``/`` is a path below the scanned root
    (``docs/archive``, ``v1.*/ports.md``). Both are shell globs, matched case-sensitively
    like the paths themselves; a trailing ``/`` is ignored.
    """
    names = [p.strip("/") for p in patterns if "/" not in p.strip("/") and p.strip("/")]
    paths = [p.strip("/") for p in patterns if "/" in p.strip("/")]
    name_re = re.compile("|".join(fnmatch.translate(p) for p in names)) if names else None
    path_re = re.compile("|".join(fnmatch.translate(p) for p in paths)) if paths else None
    if name_re is None and path_re is None:
        return None

    def excluded(name: str, path: str) -> bool:
        return bool(
            (name_re is not None and name_re.match(name))
            or (path_re is not None and path_re.match(path))
        )

    return excluded


def walk(root: str, exclude: Sequence[str] = ()) -> Iterator[tuple[str, str | None]]:
    """Files with a page's name below ``root``: ``/``-separated relative paths, in no set
    order, each with ``None`` for a regular file or a link (to be read), or what kind of
    special file it is (``"a FIFO"``: not to be read). ``exclude`` holds ``--exclude``
    patterns (see :func:`excluder`).

    ``os.scandir`` rather than ``os.walk``: the directory entries already know what they
    are, and building the relative path as the walk goes saves a ``relpath`` per folder;
    on an 8,000-page tree this walk takes a third of the time.
    """
    skip = excluder(exclude)
    stack = [("", root)]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            if not prefix:
                raise PortSpecError(f"cannot read: {exc.strerror}", path=root) from None
            continue  # like os.walk, an unreadable folder inside the tree is passed over
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                # Nothing here follows a link (a loop would raise): links to folders are
                # not walked, like os.walk does, and links to pages are read as pages.
                link = entry.is_symlink()
                if not link and entry.is_dir(follow_symlinks=False):
                    if name not in SKIP_DIRS and (skip is None or not skip(name, prefix + name)):
                        stack.append((f"{prefix}{name}/", entry.path))
                    continue
                if not name.lower().endswith(PAGE_SUFFIXES):
                    continue
                if skip is not None and skip(name, prefix + name):
                    continue
                if link or entry.is_file(follow_symlinks=False):
                    yield prefix + name, None
                else:
                    yield (
                        prefix + name,
                        kind_of(entry.stat(follow_symlinks=False).st_mode, "a folder"),
                    )
            except OSError:
                continue  # gone since the folder was listed


def iter_pages(root: str, exclude: Sequence[str] = ()) -> Iterator[str]:
    """The pages below ``root`` a scan reads (regular files and links to files), as
    ``/``-separated relative paths in no set order; see :func:`walk`."""
    return (rel for rel, special in walk(root, exclude) if special is None)


def list_pages(root: str, exclude: Sequence[str] = ()) -> list[str]:
    """The pages below ``root`` a scan reads, as sorted ``/``-separated relative paths."""
    return sorted(iter_pages(root, exclude))


def read_page_bytes(root: str, rel: str, limit: int) -> bytes:
    """The bytes of the page at ``rel`` below ``root``, at most ``limit`` of them.

    Raises :class:`NotAPage` for a file that is not to be read and :class:`Unreadable`
    for one that cannot be (messages without the path, which the caller adds).
    """
    fd = _open(root, os.path.join(root, *rel.split("/")))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # replaced since the walk saw it
            raise NotAPage(f"not a regular file ({kind_of(info.st_mode, 'a folder')}); not read")
        if info.st_size > limit:
            raise Unreadable(_too_big(limit, f"{info.st_size:,} bytes"))
        # No buffered file object: one read of the whole file (plus one that finds the
        # end), as ``FileIO.readall`` does, but never more than ``limit + 1`` bytes.
        want = info.st_size + 1
        parts: list[bytes] = []
        total = 0
        while True:
            part = os.read(fd, want)
            if not part:
                break
            parts.append(part)
            total += len(part)
            if total > limit:  # it grew since fstat (or reports no size, as /proc does)
                raise Unreadable(_too_big(limit, "it grew while read"))
            want = min(limit + 1 - total, 1 << 16)
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _open(root: str, path: str) -> int:
    if not _NOFOLLOW and os.path.islink(path):  # no O_NOFOLLOW here: check by hand
        return _open_link(root, path)
    try:
        return os.open(path, _FLAGS)
    except OSError as exc:
        if not os.path.islink(path):
            raise Unreadable(f"cannot read: {exc.strerror}") from None
    return _open_link(root, path)


def _open_link(root: str, path: str) -> int:
    """Open the file a link leads to, if it is a regular file inside ``root``."""
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unreadable("symbolic link loop; not read") from None
        raise Unreadable(f"cannot read: {exc.strerror} (a broken symbolic link)") from None
    top = os.path.realpath(root)
    if os.path.commonpath([top, target]) != top:
        raise NotAPage(f"symbolic link to {target}, outside the scanned folder; not followed")
    try:
        mode = os.stat(target).st_mode  # a device is not even opened
        if not stat.S_ISREG(mode):
            raise NotAPage(f"symbolic link to {kind_of(mode, 'a folder')}; not read")
        return os.open(target, _FLAGS)
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror}") from None


def _too_big(limit: int, size: str) -> str:
    return f"larger than the page size limit of {limit:,} bytes ({size}); not read"
