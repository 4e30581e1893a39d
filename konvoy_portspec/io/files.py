"""Reading an input file whole (and its JSON) and writing an output file atomically,
with the project's one-line errors."""

from __future__ import annotations

import os

from konvoy_portspec.errors import OutputError, PortSpecError


def read_bytes(
    path: str | os.PathLike[str], error: type[PortSpecError], what: str = "file"
) -> tuple[str, bytes]:
    """The path as a string and the file's bytes; ``error`` names the file otherwise
    (a directory, a missing file, no permission), never a traceback."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            return name, fh.read()
    except IsADirectoryError:
        raise error(f"is a directory, not a {what}", path=name) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", path=name) from None


TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's start path
    from typing import Any


def parse_json(
    raw: str | bytes, error: type[PortSpecError], path: str | None, subject: str = ""
) -> Any:
    """JSON data; bad JSON is ``error`` at the file and line, never a traceback.
    ``subject`` names what the file is in the message ("policy is not valid JSON")."""
    import json

    prefix = f"{subject} is " if subject else ""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise error(f"{prefix}not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    except UnicodeDecodeError:
        raise error(f"{prefix}not UTF-8 text", path=path) from None


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename.

    A reader (or a crash) never sees a half-written file, and a failed write leaves the
    previous file, if any, untouched.
    """
    import tempfile

    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".portspec-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(target):
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=target) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
