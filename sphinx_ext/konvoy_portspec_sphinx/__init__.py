"""Sphinx extension: embed Konvoy port tables from the spec instead of copying them.

In ``conf.py``::

    extensions = ["konvoy_portspec_sphinx"]
    portspec_default_release = "v2.1"      # optional
    portspec_spec_paths = ["ports/"]       # optional: extra or overriding spec files

then ``.. konvoy-ports:: v2.1``, ``.. konvoy-ports-diff:: v2.0 v2.1`` and
``:konvoy-port:`kubelet``` in reST or MyST pages.
"""

from __future__ import annotations

from collections.abc import Set
from typing import TYPE_CHECKING, Any

from konvoy_portspec import __version__

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

__all__ = ["__version__", "setup"]


def _reset_memo(app: Sphinx, env: BuildEnvironment, docnames: Set[str]) -> None:
    from konvoy_portspec_sphinx.registry import reset

    reset(env)


def _remember_confdir(app: Sphinx, config: Config) -> None:
    from konvoy_portspec_sphinx.registry import remember_confdir

    remember_confdir(config, str(app.confdir))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives, the role and the config values."""
    from konvoy_portspec_sphinx.directives import PortRole, PortsDiffDirective, PortsDirective

    app.add_config_value(
        "portspec_default_release",
        "",
        "env",
        types=frozenset({str}),
        description="release shown by konvoy-ports and konvoy-port when none is named",
    )
    app.add_config_value(
        "portspec_spec_paths",
        [],
        "env",
        types=frozenset({list, tuple}),
        description="spec JSON files or folders of them (relative to conf.py) that add "
        "or override releases",
    )
    app.add_directive("konvoy-ports", PortsDirective)
    app.add_directive("konvoy-ports-diff", PortsDiffDirective)
    app.add_role("konvoy-port", PortRole())
    app.connect("config-inited", _remember_confdir)
    app.connect("env-before-read-docs", _reset_memo)
    return {
        "version": __version__,
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
