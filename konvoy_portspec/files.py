"""Reading an input file whole, and its JSON, with the project's one-line errors."""

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
