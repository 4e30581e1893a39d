"""Preflight: which of a release's ports are already taken on this host, and by whom.

``sockets`` reads the host (the kernel's socket tables, their owners, a bind probe);
``check`` decides what clashes with the release and returns a :class:`PreflightResult`.
Reports of it are :mod:`konvoy_portspec.output.preflight_report`'s.
"""

from __future__ import annotations

from konvoy_portspec.analysis.preflight.check import (
    SSH_DAEMONS,
    Owner,
    PortStatus,
    PreflightResult,
    clashes,
    preflight,
)
from konvoy_portspec.analysis.preflight.sockets import (
    CHECKED_PROTOCOLS,
    SocketEntry,
    read_sockets,
    socket_owners,
)

__all__ = [
    "CHECKED_PROTOCOLS",
    "SSH_DAEMONS",
    "Owner",
    "PortStatus",
    "PreflightResult",
    "SocketEntry",
    "clashes",
    "preflight",
    "read_sockets",
    "socket_owners",
]
