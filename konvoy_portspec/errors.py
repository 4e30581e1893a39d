"""The project's own error types.

Every error a user can cause derives from :class:`PortSpecError`, so the CLI can turn
it into one clean line and an exit code instead of a traceback, and library users can
catch one type.
"""

from __future__ import annotations

#: Exit codes shared by every ``portspec`` command (documented in ``--help`` and README).
EXIT_OK = 0
EXIT_FINDINGS = 1  # the check ran and found something: changes, drift, violations, busy ports
EXIT_USAGE = 2  # the command line was wrong (argparse uses 2 as well)
EXIT_INPUT = 3  # an input could not be read, parsed, or named an unknown release
EXIT_OUTPUT = 4  # an output file could not be written
EXIT_PIPE = 141  # stdout was closed early (128 + SIGPIPE, what `cat` returns then)


class PortSpecError(Exception):
    """A problem with user input, reported as ``file:line: message``."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.context: str | None = None  # e.g. "old side", said before the location

    def with_location(self, path: str | None = None, line: int | None = None) -> PortSpecError:
        """Fill in a location the raiser could not know (the parser sees text, not files)."""
        if self.path is None and path is not None:
            self.path = path
        if self.line is None and line is not None:
            self.line = line
        return self

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
        text = f"{where}: {self.message}" if where else self.message
        return f"{self.context}: {text}" if self.context else text


class ExtractError(PortSpecError):
    """A docs page could not be turned into a spec (bad port cell, no port table, not text)."""


class SpecFormatError(PortSpecError):
    """A spec JSON file is not valid JSON or does not follow the schema."""


class UnknownReleaseError(PortSpecError, LookupError):
    """A release name that is not bundled; the message lists the ones that are."""

    def __init__(self, name: str, known: list[str] | tuple[str, ...]) -> None:
        self.name = name
        self.known = tuple(known)
        if known:
            listed = ", ".join(known)
            hint = f"known releases: {listed}"
        else:
            hint = "no releases are bundled"
        super().__init__(f"unknown release {name!r}; {hint}")


class UnknownRoleError(PortSpecError, KeyError):
    """A role id the spec does not have; the message lists the ones it has."""

    def __init__(self, role: str, known: list[str] | tuple[str, ...], where: str) -> None:
        """``where`` completes the sentence: "in v2.1", "on either side"."""
        self.role = role
        self.known = tuple(known)
        super().__init__(f"no role {role!r} {where}; roles: {', '.join(known) or 'none'}")

    __str__ = PortSpecError.__str__


class UsageError(PortSpecError):
    """A command line that cannot work (an option's value, a missing option)."""

    exit_code = EXIT_USAGE


class OutputError(PortSpecError):
    """An output file could not be written; nothing partial is left behind."""

    exit_code = EXIT_OUTPUT
