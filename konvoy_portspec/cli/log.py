"""``portspec log``: when each rule appeared, changed, moved or went, across the bundled
releases."""

from __future__ import annotations

import argparse

from konvoy_portspec.model import MAX_PORT, MIN_PORT


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not MIN_PORT <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"port out of range {MIN_PORT}-{MAX_PORT}: {port}")
    return port


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "log",
        help="the history of the port rules across the bundled releases, oldest first",
        description="The history of every rule across the bundled releases, oldest first, "
        "computed by diffing consecutive releases: 'present since v1.5' for rules of the "
        "first release, then each addition, removal, change and move with its release. "
        "--release and --since narrow it to one release or to the releases after one; "
        "--port, --component and --role to some rules.",
    )
    p.add_argument("--port", type=_port, metavar="N", help="only rules that cover port N")
    p.add_argument(
        "--component",
        metavar="NAME",
        help="only rules whose component contains NAME (case-insensitive)",
    )
    p.add_argument("--role", metavar="ROLE", help="only this role (control-plane, worker, ...)")
    when = p.add_mutually_exclusive_group()
    when.add_argument(
        "--release",
        metavar="RELEASE",
        help="only what changed in RELEASE, against the release before it, for every port "
        "(for the first bundled release: its rules, 'present since')",
    )
    when.add_argument(
        "--since",
        metavar="RELEASE",
        help="only what changed after RELEASE, in the releases that followed it "
        "(like git log RELEASE..)",
    )
    p.add_argument(
        "--format",
        "-f",
        choices=("text", "json"),
        default="text",
        help='text: one line per event; json: {"releases": the series, "entries": [...]}',
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.analysis.history import bundled_history, filter_entries, releases_after
    from konvoy_portspec.cli._common import emit
    from konvoy_portspec.errors import UnknownRoleError
    from konvoy_portspec.io import bundled

    releases = bundled.releases()
    scope = f" ({releases[0]}..{releases[-1]})" if releases else " (no releases)"
    only: list[str] | None = None
    if args.release is not None:
        only = [bundled.resolve(args.release)]
        scope = f" in {only[0]}"
    elif args.since is not None:
        since = bundled.resolve(args.since)
        only = releases_after(releases, since)
        scope = f" after {since}"
    entries = bundled_history(releases)
    if args.role is not None:
        roles = {e.role for e in entries}
        if args.role not in roles:
            raise UnknownRoleError(args.role, sorted(roles), "in any release")
    entries = filter_entries(
        entries, port=args.port, component=args.component, role=args.role, releases=only
    )
    if args.format == "json":
        import json

        data = {"releases": releases, "entries": [e.to_dict() for e in entries]}
        emit(json.dumps(data, indent=2, ensure_ascii=False), None)
    elif entries:
        emit("\n".join(str(e) for e in entries), None)
    elif args.port is None and args.component is None and args.role is None:
        emit(f"no changes{scope}", None)
    else:
        emit(f"no rules match{scope}", None)
    return 0
