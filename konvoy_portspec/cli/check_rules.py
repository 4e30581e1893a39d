"""``portspec check-rules RULES``: does a host's firewall open exactly the spec's ports?"""

from __future__ import annotations

import argparse

from konvoy_portspec.cli._common import add_examples, add_output, emit, load_spec

#: ``--input-format`` choices (the readers' names, see analysis.firewall.INPUT_FORMATS;
#: spelled out here so building the parser imports no reader).
INPUT_FORMATS = ("auto", "iptables", "page", "nft-json", "firewalld-xml", "firewall-cmd")

#: Three real uses, one per firewall tool (shown under ``examples:`` in ``--help``).
EXAMPLES = (
    (
        "the iptables rules loaded on this worker",
        "sudo iptables-save | portspec check-rules - --against v2.1 --role worker",
    ),
    (
        "the nftables ruleset of this host, as a JSON report",
        "sudo nft -j list ruleset | portspec check-rules - --against v2.1 -f json",
    ),
    (
        "the firewalld zone of a control-plane node",
        "sudo firewall-cmd --list-all | portspec check-rules - --against v2.1 --role control-plane",
    ),
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check-rules",
        help="compare a host's firewall rules (iptables, nft, firewalld, docs page) with a release",
        description="Read the rules that open ports from iptables (a rules script or "
        "`iptables-save` output: INPUT ACCEPT rules, and rules in chains INPUT jumps to), "
        "nftables (`nft -j list ruleset`: accepting rules in chains hooked on input or "
        "jumped to from them), firewalld (a service XML file, or `firewall-cmd --list-all` "
        "output) or a docs page with iptables rules in code blocks (the paragraph before "
        "each block names the role: 'Control Plane nodes:'), and report per role the spec "
        "ports the rules do not open and what the rules open that the spec does not list. "
        "A rule's role comes from its `konvoy-portspec ROLE: ...` comment (what `portspec "
        "export` writes; it survives iptables-save), a `# role:` header, or a chain named "
        "after the role (KONVOY-WORKER, nft's control_plane); rules that name no role "
        "count for every role checked. Exit 1 on any difference.",
    )
    p.add_argument(
        "rules",
        help="rules script, iptables-save or nft -j output, firewalld service XML, "
        "firewall-cmd --list-all output, or markdown page; - reads stdin",
    )
    p.add_argument(
        "--against",
        metavar="RELEASE",
        help="bundled release, spec .json or page to compare with (default: the release "
        "in the rules file's path, e.g. .../v1.8/firewall-rules.md, its front matter, or "
        "an exported firewalld service's <short>)",
    )
    p.add_argument(
        "--role",
        action="append",
        metavar="ROLE",
        help="check only this role; rules that name no role count for it (repeatable)",
    )
    p.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        default="auto",
        help="how to read RULES (default: auto, told from its first characters)",
    )
    p.add_argument(
        "--firewalld-services",
        action="append",
        metavar="DIR",
        help="folder of firewalld service files that `services:` and <include> name "
        "(repeatable; default: /etc/firewalld/services, then /usr/lib/firewalld/services)",
    )
    p.add_argument("--format", "-f", choices=("text", "json"), default="text")
    add_output(p)
    add_examples(p, EXAMPLES)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from konvoy_portspec.analysis.firewall import SERVICE_DIRS, check_rules, read_rules_file
    from konvoy_portspec.cli.check import release_for
    from konvoy_portspec.errors import EXIT_FINDINGS, EXIT_OK
    from konvoy_portspec.output.rulecheck_report import format_check

    ruleset = read_rules_file(
        args.rules,
        input_format=None if args.input_format == "auto" else args.input_format,
        service_dirs=args.firewalld_services or SERVICE_DIRS,
    )
    against = args.against or release_for(ruleset.release, ruleset.path or args.rules)
    spec = load_spec(against, label="--against" if args.against else "the rules' release")
    result = check_rules(spec, ruleset, args.role)
    emit(format_check(result, args.format), args.output)
    return EXIT_FINDINGS if result else EXIT_OK
