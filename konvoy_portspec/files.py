"""Reading an input file whole, with the project's one-line errors."""

from __future__ import annotations

import os

from .errors import PortSpecError


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
