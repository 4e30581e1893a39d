"""Finding a system tool (chromium, nft, iptables, xmllint, firewall-offline-cmd) for the
tests that check outputs with the real thing.

Tests never install anything: they use what the machine has and skip, saying how to get
it, otherwise. Provisioning is an explicit step (``make provision``, which ``.ci/run``
runs before ``make test``), never a side effect of a test.
"""

from __future__ import annotations

import os
import shutil


def find_tool(binary: str, package: str) -> tuple[str | None, str]:
    """Path of ``binary`` (also looked for in /usr/sbin and /sbin, which a non-root PATH
    may lack); else ``(None, why)`` naming the Debian ``package`` that has it."""
    found = shutil.which(binary)
    for folder in ("/usr/sbin", "/sbin"):
        candidate = os.path.join(folder, binary)
        if not found and os.access(candidate, os.X_OK):
            found = candidate
    if found:
        return found, ""
    return None, f"{binary} is not installed (Debian package {package}; `make provision`)"


#: The old name, kept while callers move over; it no longer installs anything.
ensure_debian_package = find_tool
