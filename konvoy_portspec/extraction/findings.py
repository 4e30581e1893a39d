"""What the extractor reports about a page without refusing it.

A port cell in prose ("Provider dependent") is read as a port-less rule, and said so;
with ``keep_going`` a row whose port cell is a docs bug (``70000``, ``six``) is left
out and reported instead of failing the page. Both are :class:`ExtractWarning` values,
collected in a list the caller passes in, so ``extract`` keeps returning a spec.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

WARNING, ERROR = "warning", "error"


@dataclass(frozen=True, slots=True)
class ExtractWarning:
    """One located finding. ``severity`` is ``warning`` (the page was read whole) or
    ``error`` (a row was left out, only with ``keep_going``)."""

    message: str
    line: int | None = None
    path: str | None = None
    severity: str = WARNING

    def located(self, path: str) -> ExtractWarning:
        """The same finding in the page at ``path`` (readers see text, not files)."""
        return self if self.path is not None else replace(self, path=path)

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"
