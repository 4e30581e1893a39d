"""Which releases a docs build knows: the bundled ones plus the user's spec files.

A user spec (``portspec_spec_paths`` in conf.py: files, or folders of ``*.json``) adds
a release, or overrides a bundled one, under the name in its ``release`` field.

What is wrong with the user's files (bad JSON, a schema error, a missing path, one
release in two files) is collected as :class:`Problem` values located at the file and
line, for the build to report once, not per page.

Spec files are read at most once per file version: the :class:`Memo` is keyed on path,
mtime and size, so a long-running ``sphinx-autobuild`` never serves an edited file from
a stale cache. Each read also keeps the file's sha256, which is what a page records
about the releases it showed (:meth:`Registry.fingerprint`): a page is re-read exactly
when what one of its release names means has changed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from konvoy_portspec.errors import PortSpecError, SpecFormatError
from konvoy_portspec.io import bundled
from konvoy_portspec.io.files import MAX_SPEC_SIZE, read_bytes
from konvoy_portspec.io.schema_check import line_of
from konvoy_portspec.io.spec_json import loads
from konvoy_portspec.model import Spec
from konvoy_portspec.release_names import normalize, resolve, sort_key

_Stamp = tuple[int, int]
#: What a release name meant when a page was read: (release, file, sha256 of the
#: file), or ``None`` for a name that named no release.
Fingerprint = tuple[str, str, str] | None


@dataclass
class _Read:
    stamp: _Stamp
    sha256: str
    result: Spec | PortSpecError
    release_line: int | None


@dataclass
class Memo:
    """Parsed spec files by path, valid while the file's (mtime, size) is unchanged."""

    files: dict[str, _Read] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """Something wrong with the configured spec files, and where it is: a file and
    line, or the conf.py ``setting`` that names a path that is not there."""

    message: str
    path: str | None = None
    line: int | None = None
    setting: str | None = None

    @property
    def location(self) -> str | None:
        """``path:line`` (or ``path``) for a Sphinx warning."""
        if self.path is None:
            return None
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def __str__(self) -> str:
        where = self.location
        return f"{where}: {self.message}" if where else self.message

    @classmethod
    def of(cls, error: PortSpecError) -> Problem:
        return cls(error.message, error.path, error.line)


def _stamp(path: str) -> _Stamp:
    st = os.stat(path)
    return (st.st_mtime_ns, st.st_size)


def _read(memo: Memo, path: str, *, check: bool) -> _Read:
    try:
        stamp = _stamp(path)
    except OSError as exc:
        raise SpecFormatError(f"cannot read: {exc.strerror}", path=path) from None
    hit = memo.files.get(path)
    if hit is not None and hit.stamp == stamp:
        return hit
    sha256, line = "", None
    result: Spec | PortSpecError
    try:
        name, raw = read_bytes(path, SpecFormatError, "spec file", limit=MAX_SPEC_SIZE)
        sha256 = hashlib.sha256(raw).hexdigest()
        result = loads(raw, path=name, check=check)
        line = line_of(raw, ("release",))
    except PortSpecError as exc:
        result = exc
    read = memo.files[path] = _Read(stamp, sha256, result, line)
    return read


def read_spec(memo: Memo, path: str, *, check: bool) -> Spec:
    """A spec file, parsed once per version of the file; errors are memoised too."""
    result = _read(memo, path, check=check).result
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
    problems: list[Problem]
    memo: Memo

    def names(self) -> list[str]:
        return sorted(self.entries, key=sort_key)

    def resolve(self, name: str) -> ReleaseSource:
        """The entry for ``v2.1``, ``2.1`` or ``latest``; else :class:`UnknownReleaseError`."""
        return self.entries[resolve(name, self.names())]

    def load(self, name: str) -> Spec:
        """A release's spec."""
        entry = self.resolve(name)
        return read_spec(self.memo, entry.path, check=not entry.bundled)

    def fingerprint(self, name: str) -> Fingerprint:
        """What ``name`` means now: the release, its file and the file's sha256
        (``None`` when it names no release)."""
        try:
            entry = self.resolve(name)
        except PortSpecError:
            return None
        try:
            read = _read(self.memo, entry.path, check=not entry.bundled)
        except PortSpecError:
            return (entry.release, entry.path, "")
        return (entry.release, entry.path, read.sha256)


def _user_files(paths: Sequence[str], confdir: str) -> list[str | Problem]:
    """Spec files named in conf.py (folders expanded), or the problem with each entry."""
    out: list[str | Problem] = []
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
            out.append(
                Problem(
                    f"portspec_spec_paths: no such file or directory: {path}",
                    setting="portspec_spec_paths",
                )
            )
    return out


def build_registry(memo: Memo, spec_paths: Sequence[str], confdir: str) -> Registry:
    """Bundled releases (by file name) overlaid with the user's specs (by release field).

    Two user files with one release: the later one (in the order of
    ``portspec_spec_paths``, a folder's files by name) is used, and a problem names both.
    """
    entries = {
        release: ReleaseSource(release, bundled.path_of(release), bundled=True)
        for release in bundled.releases()
    }
    files: list[str] = []
    problems: list[Problem] = []
    for path in _user_files(spec_paths, confdir):
        if isinstance(path, Problem):
            problems.append(path)
            continue
        if path in files:
            continue  # named twice (a file and its folder): one file, no conflict
        files.append(path)
        try:
            spec = read_spec(memo, path, check=True)
        except PortSpecError as exc:
            problems.append(Problem.of(exc))
            continue
        release = normalize(spec.release)
        before = entries.get(release)
        if before is not None and not before.bundled:
            problems.append(
                Problem(
                    f"release {release} is also in {before.path}; "
                    f"this file is used (the later one)",
                    path,
                    memo.files[path].release_line,
                )
            )
        entries[release] = ReleaseSource(release, path, bundled=False)
    return Registry(entries, files, problems, memo)
