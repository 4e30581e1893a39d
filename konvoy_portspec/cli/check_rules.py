"""``portspec check-rules RULES``: do iptables rules open exactly the spec's ports?"""

from __future__ import annotations

import argparse

from konvoy_portspec.cli._common import add_output, emit, load_spec


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check-rules",
        help="compare iptables rules (file, iptables-save, docs page) with a release",
        description="Read iptables INPUT ACCEPT rules from a rules file (`iptables -A INPUT "
        "...` lines), `iptables-save` output, or a docs page with the rules in code blocks "
        "(the paragraph before each block names the role: 'Control Plane nodes:'), and "
        "report per role the spec ports the rules do not open and what the rules open that "
        "the spec does not list. Exit 1 on any difference.",
    )
    p.add_argument("rules", help="rules file, iptables-save output or markdown page; - reads stdin")
    p.add_argument(
        "--against",
        metavar="RELEASE",
        help="bundled release, spec .json or page to compare with (default: the release "
        "in the rules file's path, e.g. .../v1.8/firewall-rules.md)",
    )
    p.add_argument(
        "--role",
        action="append",
        metavar="ROLE",
        help="check only this role; rules that name no role count for it (repeatable)",
    )
    p.add_argument("--format", "-f", choices=("text", "json"), default="text")
    add_output(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.analysis.firewall import check_rules, read_rules_file
    from konvoy_portspec.cli.check import release_for
    from konvoy_portspec.errors import EXIT_FINDINGS, EXIT_OK
    from konvoy_portspec.output.rulecheck_report import format_check

    only = args.role[0] if args.role and len(args.role) == 1 else None
    ruleset = read_rules_file(args.rules, role=only)
    against = args.against or release_for(ruleset.release, ruleset.path or args.rules)
    spec = load_spec(against, label="--against" if args.against else "the rules' release")
    result = check_rules(spec, ruleset, args.role)
    emit(format_check(result, args.format), args.output)
    return EXIT_FINDINGS if result else EXIT_OK
