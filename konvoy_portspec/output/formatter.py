"""What every named output format shares: a name, a one-line description, and a table
of formats by name that the library, the command line and the docs all read.

The diff views (:mod:`konvoy_portspec.output.diff_formats`) and the exporters
(:mod:`konvoy_portspec.output.exporters`) render different inputs, so each family has
its own method; the vocabulary (names, descriptions, the "unknown format" message) is
defined here once. Nothing is imported at run time: the CLI imports the tables at start
to build its ``--format`` choices.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` stays off the CLI's start path
    from typing import ClassVar, TypeVar


class OutputFormat:
    """One named format. Subclasses set ``name`` (what ``--format`` takes) and
    ``description`` (what ``--help`` says about it)."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""


if TYPE_CHECKING:
    F = TypeVar("F", bound=OutputFormat)


def registry(*formats: type[F]) -> dict[str, type[F]]:
    """``{name: class}`` in the given order; a missing or repeated name is a bug."""
    table: dict[str, type[F]] = {}
    for cls in formats:
        if not cls.name or not cls.description or cls.name in table:
            raise ValueError(f"{cls.__name__}: needs a unique name and a description")
        table[cls.name] = cls
    return table


def pick(
    table: dict[str, type[F]], name: str, what: str, error: type[Exception] = ValueError
) -> type[F]:
    """The format called ``name``; ``error`` names the known ones when there is none."""
    try:
        return table[name]
    except KeyError:
        raise error(f"unknown {what} format {name!r}; formats: {', '.join(table)}") from None


def describe(table: dict[str, type[F]]) -> str:
    """``text: what it is; json: ...``: the formats of a table for a help text."""
    return "; ".join(f"{name}: {cls.description}" for name, cls in table.items())
