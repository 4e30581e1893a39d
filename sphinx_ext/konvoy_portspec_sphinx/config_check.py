"""conf.py's ``portspec_*`` values, checked once when the configuration is read.

A value of the wrong type used to fail far from its cause: ``portspec_default_release =
2.1`` (a float) ended in an AttributeError, and ``portspec_spec_paths = "ports"`` was
read letter by letter. Here each value is checked at ``config-inited``, before any page
is read: what can be read safely is coerced (``2.1`` -> ``"2.1"``, ``"ports"`` ->
``["ports"]``), anything else is dropped, and either way one warning points at the line
of conf.py that set it (so ``-W`` still fails the build).
"""

from __future__ import annotations

import math
import os
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

DEFAULT_RELEASE = "portspec_default_release"
SPEC_PATHS = "portspec_spec_paths"
WARNING_TYPE = "portspec"


def _kind(value: object) -> str:
    return "None" if value is None else type(value).__name__


def coerce_default_release(value: Any) -> tuple[str, str | None]:
    """The release name to use for ``value``, and what was wrong with it (or None)."""
    if isinstance(value, str):
        return value.strip(), None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return "", f"{DEFAULT_RELEASE} = {value!r} is not a release name; ignored"
        text = repr(value)
        return text, (
            f"{DEFAULT_RELEASE} = {text} is a {_kind(value)}, not a string; read as "
            f'{text!r} (write {DEFAULT_RELEASE} = "{text}": a number drops trailing '
            "zeros, 2.10 is 2.1)"
        )
    return "", f"{DEFAULT_RELEASE} must be a release name (a string), not {_kind(value)}; ignored"


def _is_path(value: object) -> bool:
    return isinstance(value, str | os.PathLike)


def coerce_spec_paths(value: Any) -> tuple[list[str], str | None]:
    """The list of paths to use for ``value``, and what was wrong with it (or None)."""
    if value is None:
        return [], None
    if _is_path(value):
        path = os.fspath(value)
        return [path], (
            f"{SPEC_PATHS} = {path!r} is a single path, not a list; read as [{path!r}] "
            f'(write {SPEC_PATHS} = ["{path}"])'
        )
    if not isinstance(value, list | tuple):
        return [], f"{SPEC_PATHS} must be a list of paths, not {_kind(value)}; ignored"
    good = [os.fspath(item) for item in value if _is_path(item)]
    bad = [f"{item!r} ({_kind(item)})" for item in value if not _is_path(item)]
    if bad:
        return good, f"{SPEC_PATHS}: not a path, ignored: {', '.join(bad)}"
    return good, None


def setting_location(
    confdir: str | os.PathLike[str] | None, name: str, config: object = None
) -> tuple[str | None, int | None]:
    """conf.py and the line of the last assignment to ``name``; no line when no line
    assigns it or ``config`` has it from the command line (``-D``); ``(None, None)``
    without a conf.py."""
    if confdir is None:
        return None, None
    if name in (getattr(config, "overrides", None) or {}):
        return os.path.join(os.fspath(confdir), "conf.py"), None
    path = os.path.join(os.fspath(confdir), "conf.py")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None, None
    pattern = re.compile(rf"^[ \t]*{re.escape(name)}[ \t]*(?::[^=\n]*)?\+?=(?!=)", re.M)
    starts = [m.start() for m in pattern.finditer(text)]
    if not starts:
        return path, None
    return path, text.count("\n", 0, starts[-1]) + 1


def warn(message: str, path: str | None, line: int | None, subtype: str) -> None:
    """A warning of this extension's type (``suppress_warnings = ["portspec"]``) at
    ``path:line``; without a line the path leads the message (Sphinx reads a location
    without a colon as a document name)."""
    from sphinx.util import logging

    logger = logging.getLogger("konvoy_portspec_sphinx")
    location = None
    if path is not None and line is not None:
        location = f"{path}:{line}"
    elif path is not None:
        message = f"{path}: {message}"
    logger.warning(message, location=location, type=WARNING_TYPE, subtype=subtype)


def check_config(app: Sphinx, config: Config) -> None:
    """``config-inited``: coerce or drop bad ``portspec_*`` values, one warning each.

    Connected before Sphinx's own type check (priority 800), which then sees the
    coerced value and stays quiet.
    """
    release, problem = coerce_default_release(getattr(config, DEFAULT_RELEASE))
    setattr(config, DEFAULT_RELEASE, release)
    if problem:
        warn(problem, *setting_location(app.confdir, DEFAULT_RELEASE, config), "config")
    paths, problem = coerce_spec_paths(getattr(config, SPEC_PATHS))
    setattr(config, SPEC_PATHS, paths)
    if problem:
        warn(problem, *setting_location(app.confdir, SPEC_PATHS, config), "config")
