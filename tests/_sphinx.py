"""What the Sphinx tests share: an app's warnings as text, an app of its own, and a
build with one (see :func:`built_once`)."""

from __future__ import annotations

import re
from pathlib import Path


def warning_stream(app):
    """The app's warning stream (``app.warning`` from Sphinx 7.3; 7.2 has ``_warning``)."""
    return app.warning if hasattr(app, "warning") else app._warning


def warnings_of(app) -> str:
    """The build's warnings without terminal colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", warning_stream(app).getvalue())


def new_app(builder: str, srcdir: Path, builddir: Path, freshenv: bool):
    """A ``SphinxTestApp`` of its own, with its status and warnings kept in memory; the
    caller cleans it up once (see :func:`built_once`)."""
    from io import StringIO

    from sphinx.testing.util import SphinxTestApp

    return SphinxTestApp(
        builder,
        srcdir=srcdir,
        builddir=builddir,
        freshenv=freshenv,
        status=StringIO(),
        warning=StringIO(),
    )


def built_once(srcdir: Path, builder: str, builddir: Path) -> Path:
    """Build ``srcdir`` with an app of its own, cleaned up once, before the test's next
    app; the build must not warn. Returns the output folder (its files outlive the app).

    (sphinx.testing's make_app cleans its apps again at teardown; on Sphinx 7.2 a
    second cleanup restores a docutils registry that a later app has filled, and every
    app after it warns that its directives are "already registered".)
    """
    app = new_app(builder, srcdir, builddir, freshenv=True)
    try:
        app.build()
        assert warnings_of(app) == ""
        return Path(app.outdir)
    finally:
        app.cleanup()  # docutils' registries are global: before any other app
