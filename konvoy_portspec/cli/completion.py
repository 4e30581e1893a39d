"""``portspec completion SHELL``: tab completion for bash, zsh and fish.

The completion comes from argcomplete, which reads the real parser: the script that
``portspec completion SHELL`` prints (argcomplete's own) runs ``portspec`` with
``_ARGCOMPLETE`` set, and :func:`konvoy_portspec.cli.main` hands such a run to
:func:`autocomplete` before anything else. So commands, options and ``--format``
choices can never drift from the code, and the values that depend on data are completed
from it: bundled release names for a release argument, and for ``--role`` the roles of
the specs already named on the line (``portspec diff v2.0 v2.1 --role <TAB>``).

argcomplete is imported only here, in a completion request or by this command: normal
runs never pay for it.
"""

from __future__ import annotations

import argparse

from konvoy_portspec.errors import EXIT_OK, PortSpecError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    Completer = Callable[..., Iterable[str]]

SHELLS = ("bash", "zsh", "fish")

#: Arguments (by ``dest``) that name a spec: a bundled release or a file.
SIDES = ("old", "new", "release", "against", "inputs")
#: Options that name a bundled release only (``log --since``/``--release``).
RELEASE_ONLY = ("since", "release")
#: Arguments that name a file: argcomplete's default (files) completes them.
FILES = ("doc", "page", "rules", "output", "policy", "cache", "exclude")
#: Arguments whose ``dest`` is shared with another command's but mean something else
#: (``extract --release`` names a new release, not a bundled one): no completion.
FREE_TEXT = {("extract", "release")}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "completion",
        help="print the shell completion script for bash, zsh or fish",
        description="Print a script that makes the shell complete portspec's commands, "
        "options, formats, bundled release names and role ids. Load it in the current "
        "shell, or save it where the shell looks for completions (see the examples). It "
        "uses the argcomplete package, which must be installed with portspec.",
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.cli._common import emit

    emit(script(args.shell), None)
    return EXIT_OK


def script(shell: str, executable: str = "portspec") -> str:
    """argcomplete's registration script for ``executable`` in ``shell``."""
    argcomplete = _argcomplete()
    text: str = argcomplete.shellcode([executable], shell=shell)
    return text


def _argcomplete() -> Any:
    try:
        import argcomplete  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise PortSpecError(
            "shell completion needs the argcomplete package (pip install argcomplete)"
        ) from None
    return argcomplete


def autocomplete(parser: argparse.ArgumentParser) -> int:
    """Answer the shell's completion request (argcomplete writes the candidates to the
    stream the script reads). Without argcomplete there are simply no candidates."""
    try:
        import argcomplete  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return EXIT_OK
    attach_completers(parser)
    argcomplete.autocomplete(parser, exit_method=_exit)
    return EXIT_OK


def _exit(code: int) -> None:
    raise SystemExit(code)


def attach_completers(parser: argparse.ArgumentParser, command: str = "") -> None:
    """Give each argument that names data its completer (by ``dest``), in ``parser``
    and every subcommand's parser. Choices (``--format``, the shell) need none:
    argcomplete completes them from the parser. Options that take free text (a port,
    a host, a component) complete nothing rather than file names."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                attach_completers(sub, name)
            continue
        if action.choices is not None or action.nargs == 0:
            continue
        dest = action.dest
        completer: Completer | None = None
        if (command, dest) in FREE_TEXT:
            completer = complete_nothing
        elif dest == "role":
            completer = complete_roles
        elif dest == "fail_on":
            completer = complete_kinds
        elif dest in RELEASE_ONLY and action.option_strings:
            completer = complete_releases
        elif dest in SIDES:
            completer = complete_sides
        elif dest == "directory":
            from argcomplete.completers import (  # type: ignore[import-not-found, unused-ignore]
                DirectoriesCompleter,
            )

            completer = DirectoriesCompleter()
        elif dest not in FILES and action.option_strings:
            completer = complete_nothing
        if completer is not None:
            action.completer = completer  # type: ignore[attr-defined]


def complete_nothing(**_: Any) -> list[str]:
    return []


def complete_kinds(prefix: str = "", **_: Any) -> list[str]:
    """``diff --fail-on``: the change kinds."""
    from konvoy_portspec.analysis.diff import KINDS

    return [kind for kind in KINDS if kind.startswith(prefix)]


def release_names() -> list[str]:
    """The bundled releases, newest first, then ``latest``."""
    from konvoy_portspec.io.bundled import releases

    return [*reversed(releases()), "latest"]


def complete_releases(prefix: str = "", **_: Any) -> list[str]:
    return [name for name in release_names() if name.startswith(prefix)]


def complete_sides(prefix: str = "", **kwargs: Any) -> list[str]:
    """Bundled releases, then files: a side is either."""
    from argcomplete.completers import (  # type: ignore[import-not-found, unused-ignore]
        FilesCompleter,
    )

    files: list[str] = list(FilesCompleter()(prefix=prefix, **kwargs))
    return complete_releases(prefix) + files


def complete_roles(
    prefix: str = "", parsed_args: argparse.Namespace | None = None, **_: Any
) -> list[str]:
    """The role ids of the specs named so far on the command line (``diff v2.0 v2.1``,
    ``show v2.1``, ``--against``), else of every bundled release."""
    roles = roles_of(_named_specs(parsed_args)) or _bundled_roles()
    return [r for r in roles if r.startswith(prefix)]


def _named_specs(parsed_args: argparse.Namespace | None) -> list[str]:
    if parsed_args is None:
        return []
    names: list[str] = []
    for dest in SIDES:
        value = getattr(parsed_args, dest, None)
        values = value if isinstance(value, list) else [value]
        names += [v for v in values if isinstance(v, str) and v and v != "-"]
    return names


def roles_of(names: Iterable[str]) -> list[str]:
    """Role ids of the specs ``names`` open to, in order, each once; names that do not
    open (a half-typed path) are skipped."""
    from konvoy_portspec.sides import open_side

    roles: dict[str, None] = {}
    for name in names:
        try:
            spec = open_side(name)
        except (PortSpecError, OSError, ValueError):
            continue
        roles.update(dict.fromkeys(role.id for role in spec.roles.ordered))
    return list(roles)


def _bundled_roles() -> list[str]:
    from konvoy_portspec.io.bundled import releases

    return roles_of(releases())
