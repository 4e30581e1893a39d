"""Reading an input file whole (and its JSON) and writing an output file atomically,
with the project's one-line errors.

Inputs come from docs trees and CI checkouts that anyone can commit to, so a "page" may
be a FIFO, a symlink to ``/dev/zero`` or a device: only regular files are read, and never
more than a size limit. Outputs are often written as root: ``-o`` replaces a regular
file atomically, writes through a symlink, and writes into a device or FIFO instead of
replacing it (``-o /dev/null`` must never turn ``/dev/null`` into a file).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator

from konvoy_portspec.errors import OutputError, PortSpecError

#: Default largest input read whole (a ports page is a few KB; a generated spec of
#: 100,000 rules is about 34 MB, so spec files get a larger limit).
MAX_PAGE_SIZE = 16 * 1024 * 1024
MAX_SPEC_SIZE = 256 * 1024 * 1024


def read_bytes(
    path: str | os.PathLike[str],
    error: type[PortSpecError],
    what: str = "file",
    *,
    limit: int | None = MAX_PAGE_SIZE,
) -> tuple[str, bytes]:
    """The path as a string and the file's bytes; ``error`` names the file otherwise
    (a directory, a missing file, no permission, not a regular file, over ``limit``
    bytes), never a traceback and never a hang on a FIFO.

    ``-`` reads standard input (which may be a pipe).
    """
    name = os.fspath(path)
    if name == "-":
        return "<stdin>", _read_stdin(error, limit)
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise error(f"is a directory, not a {what}", path=name) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", path=name) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(f"is a directory, not a {what}", path=name)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"is not a regular file ({kind_of(info.st_mode)}), not read", path=name)
        if limit is not None and info.st_size > limit:
            raise error(_too_big(info.st_size, limit), path=name)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            data = fh.read(limit + 1) if limit is not None else fh.read()
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", path=name) from None
    except MemoryError:
        raise error("not enough memory to read this file", path=name) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if limit is not None and len(data) > limit:  # grew while we read it
        raise error(_too_big(len(data), limit), path=name)
    return name, data


def _read_stdin(error: type[PortSpecError], limit: int | None) -> bytes:
    import sys

    try:
        stream = sys.stdin.buffer
        data = stream.read(limit + 1) if limit is not None else stream.read()
    except (OSError, AttributeError, ValueError) as exc:
        raise error(f"cannot read standard input: {exc}", path="<stdin>") from None
    if limit is not None and len(data) > limit:
        raise error(_too_big(len(data), limit), path="<stdin>")
    return data


def _too_big(size: int, limit: int) -> str:
    return f"is larger than the limit of {limit:,} bytes ({size:,} bytes or more); not read"


def kind_of(mode: int, directory: str = "a directory") -> str:
    """What a file that is not a regular file is, for messages ("a FIFO"); ``directory``
    is the word for a directory (a scan says "a folder")."""
    if stat.S_ISDIR(mode):
        return directory
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's start path
    from typing import Any


def parse_json(
    raw: str | bytes, error: type[PortSpecError], path: str | None, subject: str = ""
) -> Any:
    """JSON data; bad JSON is ``error`` at the file and line, never a traceback.
    ``subject`` names what the file is in the message ("policy is not valid JSON").

    Hostile JSON is an error too: nesting deeper than Python's recursion limit, and
    integers longer than Python converts (``ValueError`` since 3.11).
    """
    import json

    prefix = f"{subject} is " if subject else ""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise error(f"{prefix}not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    except UnicodeDecodeError:
        raise error(f"{prefix}not UTF-8 text", path=path) from None
    except RecursionError:
        raise error(f"{prefix}not usable: JSON nested too deeply", path=path) from None
    except ValueError as exc:  # int digits limit, NaN-free parsers, ...
        raise error(f"{prefix}not usable: {exc}", path=path) from None
    except MemoryError:
        raise error(f"{prefix}too large to read", path=path) from None


def write_atomic(path: str | os.PathLike[str], text: str | Iterable[str]) -> None:
    """Write ``text`` (a string, or pieces of one) to ``path`` so that nothing
    half-written is ever seen.

    - a regular file (or a new one) is replaced by a rename of a temporary file in the
      same folder, keeping the old file's permissions; a failed write leaves the old
      file untouched;
    - a symlink is written through: its final target is replaced, the link stays;
    - a character device or FIFO (``/dev/null``, ``/dev/stdout``, a pipe) is written to,
      never replaced;
    - anything else (a directory, a socket, a block device) is refused.

    Pieces are encoded and written one at a time, so a large output never exists whole
    in memory twice (as text and as bytes).
    """
    target = os.fspath(path)
    # A whole string is encoded before anything is opened (a FIFO would block on it).
    chunks = list(_encoded([text], target)) if isinstance(text, str) else _encoded(text, target)
    real = os.path.realpath(target) if os.path.islink(target) else target
    try:
        info = os.stat(real)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=target) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        if stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode):
            _write_stream(real, chunks, target)
            return
        raise OutputError(f"will not replace {kind_of(info.st_mode)}", path=target)
    _replace(real, chunks, info, target)


def _encoded(pieces: Iterable[str], target: str) -> Iterator[bytes]:
    for piece in pieces:
        try:
            yield piece.encode("utf-8")
        except UnicodeEncodeError as exc:
            reason = f"cannot write: text is not encodable ({exc.reason})"
            raise OutputError(reason, path=target) from None


def _write_stream(real: str, chunks: Iterable[bytes], target: str) -> None:
    try:
        fd = os.open(real, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            for data in chunks:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=target) from None


def _replace(real: str, chunks: Iterable[bytes], info: os.stat_result | None, target: str) -> None:
    import tempfile

    directory = os.path.dirname(os.path.abspath(real))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".portspec-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as fh:
            for data in chunks:
                fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if info is not None:
            os.chmod(tmp, info.st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, real)
        tmp = None
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=target) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
