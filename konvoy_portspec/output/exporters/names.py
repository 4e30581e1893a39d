"""The names each tool is given for a role: an iptables chain, an nft chain, a
Kubernetes object name.

Each tool has its own grammar. iptables takes chain names of at most 28 characters; nft
reads an identifier as ``[a-zA-Z][a-zA-Z0-9_]*`` and refuses one that is a keyword
(``all``, ``ip``, ``tcp`` ...) or starts with a digit (a heading such as ``2.1 All
nodes`` becomes role ``2-1-all-nodes``); Kubernetes names are DNS-1123 subdomains of at
most 253 characters. So every name starts with a fixed prefix (``KONVOY-``,
``konvoy_``, ``konvoy-portspec-``), which keeps it clear of digits and keywords, and
is built from the role id alone, so that the diff's firewall view and an export name the
same chain. Role ids follow the schema (``[a-z0-9]+(-[a-z0-9]+)*``), which makes each
spelling one-to-one; a name cut to its tool's length ends with a checksum of the whole
role id instead, so two long ids that share a beginning still get two names.
"""

from __future__ import annotations

import re
import zlib

from konvoy_portspec.io import schema_check

__all__ = [
    "IPTABLES_MAX_CHAIN",
    "NFT_TABLE",
    "iptables_chain",
    "kubernetes_name",
    "nft_chain",
    "role_id_problem",
]

#: iptables keeps chain names in 29 bytes with the terminating NUL.
IPTABLES_MAX_CHAIN = 28
#: Our own nft table (``table inet konvoy_portspec``), replaced whole on every load.
NFT_TABLE = "konvoy_portspec"
#: nft chain names are kept short enough to read; the kernel takes up to 255 bytes.
NFT_MAX_CHAIN = 64
#: A DNS-1123 subdomain, what a NetworkPolicy's and a GlobalNetworkPolicy's name is.
KUBERNETES_MAX_NAME = 253


def role_id_problem(role_id: str) -> str | None:
    """Why ``role_id`` cannot name a chain (it is no role id the schema allows), or
    ``None``. Specs from files and pages are checked against the schema already; this
    holds :func:`~konvoy_portspec.output.exporters.export` to it for model objects."""
    if schema_check.ROLE_ID.fullmatch(role_id):
        return None
    return (
        f"role id {role_id!r} is not one of lower-case letters and digits in words "
        "joined by single '-' (the schema's role id), so no chain can be named after it"
    )


def _checksum(text: str) -> str:
    return f"{zlib.crc32(text.encode('utf-8')):08x}"


def _fit(prefix: str, body: str, limit: int, joiner: str, role_id: str) -> str:
    """``prefix + body`` when it fits in ``limit``; else cut, ending with the role id's
    checksum (in the case of the prefix)."""
    if len(prefix) + len(body) <= limit:
        return prefix + body
    check = _checksum(role_id)
    suffix = joiner + (check.upper() if prefix.isupper() else check)
    room = limit - len(prefix) - len(suffix)
    return prefix + body[:room].rstrip(joiner) + suffix


def iptables_chain(role_id: str) -> str:
    """``KONVOY-CONTROL-PLANE``: the role's chain in the filter table (28 characters at
    most, so a long role id ends with a checksum: ``KONVOY-2-1-ALL-N-1A2B3C4D``)."""
    return _fit("KONVOY-", role_id.upper(), IPTABLES_MAX_CHAIN, "-", role_id)


def nft_chain(role_id: str) -> str:
    """``konvoy_control_plane``: an nft identifier for the role's chain. The prefix
    keeps it a letter-first identifier and no keyword (``konvoy_all``, not ``all``)."""
    return _fit("konvoy_", role_id.replace("-", "_"), NFT_MAX_CHAIN, "_", role_id)


def kubernetes_name(release: str, role_id: str) -> str:
    """``konvoy-portspec-v2-1-control-plane``: a DNS-1123 name for the role's policy.

    The release is reduced to lower-case letters, digits and '-' (it is the same for
    every role of a spec, so the role id keeps names apart); a name longer than 253
    characters is cut and ends with a checksum of release and role.
    """
    release_part = re.sub(r"[^a-z0-9]+", "-", release.casefold()).strip("-")
    prefix = "-".join(filter(None, ("konvoy-portspec", release_part))) + "-"
    if len(prefix) + len(role_id) <= KUBERNETES_MAX_NAME:
        return prefix + role_id
    suffix = "-" + _checksum(f"{release}\n{role_id}")
    return (prefix + role_id)[: KUBERNETES_MAX_NAME - len(suffix)].rstrip("-") + suffix
