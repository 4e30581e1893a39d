"""One release registry per build, its problems reported once, and the pages that a
change of the spec files makes stale.

At ``env-get-outdated`` (every build that reads, before any page is read) the registry
is built from ``portspec_spec_paths``: each problem with the user's files becomes one
warning at that file's line (or at conf.py), instead of one per page at the page's
first directive. Then every page that used a release name whose meaning changed (a
file edited, added, removed or renamed, ``latest`` moved on, an unknown release that
now exists) is re-read, and no other: Sphinx's own dependency check cannot see a file
that did not exist when the page was read, and would re-read every page that merely
might have used a spec.

The registry lives in a weak mapping keyed on the environment (never pickled with
it); parallel readers inherit it by fork, and anything that reads without this event
(a reader process started another way) builds one quietly.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Set
from typing import TYPE_CHECKING, cast

from konvoy_portspec.errors import PortSpecError
from konvoy_portspec_sphinx.config_check import DEFAULT_RELEASE, SPEC_PATHS, setting_location, warn
from konvoy_portspec_sphinx.domain import KonvoyDomain
from konvoy_portspec_sphinx.registry import Memo, Registry, build_registry

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment


#: The registry of each environment's build (it holds the memo of spec files read).
_REGISTRIES: weakref.WeakKeyDictionary[object, Registry] = weakref.WeakKeyDictionary()
#: conf.py's folder per Sphinx config object (user spec paths are relative to it).
_CONFDIRS: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()


def remember_confdir(app: Sphinx, config: Config) -> None:
    """``config-inited``: where relative ``portspec_spec_paths`` start."""
    _CONFDIRS[config] = os.fspath(app.confdir or app.srcdir)


def _build(env: BuildEnvironment, memo: Memo) -> Registry:
    config = env.config
    confdir = _CONFDIRS.get(config, os.fspath(env.srcdir))
    return build_registry(memo, list(getattr(config, SPEC_PATHS) or []), confdir)


def registry_for(env: BuildEnvironment) -> Registry:
    """This build's registry (built quietly if the build did not make one)."""
    registry = _REGISTRIES.get(env)
    if registry is None:
        registry = _REGISTRIES[env] = _build(env, Memo())
    return registry


def domain_of(env: BuildEnvironment) -> KonvoyDomain:
    return cast(KonvoyDomain, env.get_domain(KonvoyDomain.name))


def _report(registry: Registry, env: BuildEnvironment) -> None:
    confdir = _CONFDIRS.get(env.config)
    for problem in registry.problems:
        if problem.setting is not None:
            warn(problem.message, *setting_location(confdir, problem.setting, env.config), "spec")
        else:
            warn(problem.message, problem.path, problem.line, "spec")
    default = getattr(env.config, DEFAULT_RELEASE)
    if default:
        try:
            registry.resolve(default)
        except PortSpecError as exc:
            message = f"{DEFAULT_RELEASE}: {exc.message}"
            warn(message, *setting_location(confdir, DEFAULT_RELEASE, env.config), "config")


def on_env_get_outdated(
    app: Sphinx, env: BuildEnvironment, added: Set[str], changed: Set[str], removed: Set[str]
) -> list[str]:
    """Build and report this build's registry; the pages it makes stale."""
    before = _REGISTRIES.get(env)
    memo = before.memo if before is not None else Memo()  # unchanged files: not re-read
    registry = _REGISTRIES[env] = _build(env, memo)
    _report(registry, env)
    return domain_of(env).stale_docs(registry.fingerprint)
