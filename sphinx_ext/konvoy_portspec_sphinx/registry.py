"""Which releases a docs build knows: the bundled ones plus the user's spec files.

A user spec (``portspec_spec_paths`` in conf.py: files, or folders of ``*.json``) adds
a release, or overrides a bundled one, under the name in its ``release`` field.

Spec files are read at most once per build and per file version: the memo lives on the
build environment (dropped with it, never pickled, reset at each read phase) and is
keyed on path, mtime and size, so a long-running ``sphinx-autobuild`` never serves an
edited file from a stale cache.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

from konvoy_portspec.errors import PortSpecError, SpecFormatError
from konvoy_portspec.io import bundled
from konvoy_portspec.io.files import MAX_SPEC_SIZE, read_bytes
from konvoy_portspec.io.spec_json import loads
from konvoy_portspec.model import Spec
from konvoy_portspec.release_names import normalize, resolve, sort_key

_Stamp = tuple[int, int]


@dataclass
class Memo:
    """Per-build state: parsed files by stamp, and problems already reported per doc."""

    files: dict[str, tuple[_Stamp, Spec | PortSpecError]] = field(default_factory=dict)
    reported: set[tuple[str, str]] = field(default_factory=set)


_MEMOS: weakref.WeakKeyDictionary[object, Memo] = weakref.WeakKeyDictionary()
#: conf.py's folder per Sphinx config object (user spec paths are relative to it).
_CONFDIRS: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()


def remember_confdir(config: object, confdir: str) -> None:
    _CONFDIRS[config] = confdir


def confdir_of(config: object, fallback: str) -> str:
    """The conf.py folder recorded for ``config`` (``fallback`` when there is none)."""
    return _CONFDIRS.get(config, fallback)


def memo_for(owner: object) -> Memo:
    """The memo of one build environment (created on first use)."""
    memo = _MEMOS.get(owner)
    if memo is None:
        memo = _MEMOS[owner] = Memo()
    return memo


def reset(owner: object) -> None:
    """Forget everything read so far (called when a build starts reading documents)."""
    _MEMOS.pop(owner, None)


def _stamp(path: str) -> _Stamp:
    st = os.stat(path)
    return (st.st_mtime_ns, st.st_size)


def read_spec(memo: Memo, path: str, *, check: bool) -> Spec:
    """A spec file, parsed once per version of the file; errors are memoised too."""
    try:
        stamp = _stamp(path)
    except OSError as exc:
        raise SpecFormatError(f"cannot read: {exc.strerror}", path=path) from None
    hit = memo.files.get(path)
    if hit is not None and hit[0] == stamp:
        result = hit[1]
    else:
        try:
            name, raw = read_bytes(path, SpecFormatError, "spec file", limit=MAX_SPEC_SIZE)
            result = loads(raw, path=name, check=check)
        except PortSpecError as exc:
            result = exc
        memo.files[path] = (stamp, result)
    if isinstance(result, PortSpecError):
        raise result
    return result


@dataclass(frozen=True)
class ReleaseSource:
    """Where a release's spec comes from."""

    release: str
    path: str
    bundled: bool


@dataclass
class Registry:
    """Releases by canonical name, the user spec files, and what was wrong with them."""

    entries: dict[str, ReleaseSource]
    user_files: list[str]
    problems: list[PortSpecError]
    memo: Memo

    def names(self) -> list[str]:
        return sorted(self.entries, key=sort_key)

    def resolve(self, name: str) -> ReleaseSource:
        """The entry for ``v2.1``, ``2.1`` or ``latest``; else :class:`UnknownReleaseError`."""
        return self.entries[resolve(name, self.names())]

    def load(self, name: str) -> tuple[Spec, list[str]]:
        """A release's spec and the files a page showing it depends on."""
        entry = self.resolve(name)
        spec = read_spec(self.memo, entry.path, check=not entry.bundled)
        return spec, [entry.path, *self.user_files]


def _user_files(paths: Sequence[str], confdir: str) -> list[str | PortSpecError]:
    """Spec files named in conf.py (folders expanded), or the problem with each entry."""
    out: list[str | PortSpecError] = []
    for raw in paths:
        path = os.path.normpath(os.path.join(confdir, os.fspath(raw)))
        if os.path.isdir(path):
            out += sorted(
                os.path.join(path, n)
                for n in os.listdir(path)
                if n.endswith(".json") and os.path.isfile(os.path.join(path, n))
            )
        elif os.path.isfile(path):
            out.append(path)
        else:
            out.append(SpecFormatError("portspec_spec_paths: no such file or directory", path=path))
    return out


def build_registry(memo: Memo, spec_paths: Sequence[str], confdir: str) -> Registry:
    """Bundled releases (by file name) overlaid with the user's specs (by release field)."""
    entries = {
        release: ReleaseSource(release, bundled.path_of(release), bundled=True)
        for release in bundled.releases()
    }
    files: list[str] = []
    problems: list[PortSpecError] = []
    for path in _user_files(spec_paths, confdir):
        if isinstance(path, PortSpecError):
            problems.append(path)
            continue
        files.append(path)
        try:
            spec = read_spec(memo, path, check=True)
        except PortSpecError as exc:
            problems.append(exc)
            continue
        release = normalize(spec.release)
        entries[release] = ReleaseSource(release, path, bundled=False)
    return Registry(entries, files, problems, memo)
