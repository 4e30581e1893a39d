"""Two or three real invocations per command, shown under ``examples:`` in its ``--help``
and in the man page.

They live in one table, for the commands whose module does not set its own with
:func:`konvoy_portspec.cli._common.add_examples` (``export`` and ``check-rules`` do);
the table is read only when help is shown. The tests hold every command to two or three
examples, whatever their source, and parse each one with the real parser, so an example
that stops working fails the suite.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The line that starts the block in a help text (and that tells a command's own
#: examples from none).
HEADING = "examples:"

#: Command -> ((what it does, the command line), ...). The lines are shell: a pipe, a
#: redirection or ``$(...)`` may surround the ``portspec`` invocation.
EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "diff": (
        ("what changed in the ports from Konvoy 1.8 to 2.1", "portspec diff v1.8 v2.1"),
        (
            "release-notes tables for a changelog, worker nodes only",
            "portspec diff v2.0 v2.1 --role worker --format markdown",
        ),
        (
            "CI gate: exit 1 if the page in git lists other ports than the release",
            "portspec diff v2.1 HEAD:docs/ports.md --exit-code",
        ),
    ),
    "log": (
        ("the life of port 9400 in every role", "portspec log --port 9400"),
        ("what changed in one release, for every port", "portspec log --release v2.1"),
        (
            "what changed on worker nodes after v2.0, as JSON",
            "portspec log --since v2.0 --role worker --format json",
        ),
    ),
    "releases": (
        ("the bundled releases, oldest first", "portspec releases"),
        ("the newest bundled release", "portspec releases | tail -n 1"),
        ("the same list as JSON", "portspec releases --format json"),
    ),
    "show": (
        ("a release as a terminal table", "portspec show v2.1"),
        (
            "the worker ports of the newest release as a markdown table",
            "portspec show latest --role worker --format markdown",
        ),
        (
            "a page, extracted and shown (- reads stdin)",
            "portspec extract ports.md | portspec show -",
        ),
    ),
    "extract": (
        ("a docs page as spec JSON, written atomically", "portspec extract ports.md -o v2.4.json"),
        ("a page as it was three commits ago", "portspec extract HEAD~3:docs/ports.md"),
        (
            "every readable row, even if one port cell is broken",
            "portspec extract page.md --keep-going",
        ),
    ),
    "validate": (
        ("every bundled release", "portspec validate"),
        ("one release, as a JSON report", "portspec validate v2.1 --format json"),
        (
            "a new spec file against your own policy",
            "portspec validate v2.4.json --policy policy.json",
        ),
    ),
    "check": (
        ("a page against its own release (v2.1 folder)", "portspec check docs/v2.1/ports.md"),
        (
            "a page against a named release, as JSON",
            "portspec check ports.md --against v2.1 -f json",
        ),
        (
            "the committed page, from git",
            "git show HEAD:docs/ports.md | portspec check - --against v2.1",
        ),
    ),
    "preflight": (
        ("before installing a worker node", "portspec preflight v2.1 --role worker"),
        (
            "one address, as JSON",
            "portspec preflight latest --host 10.0.0.5 --format json",
        ),
    ),
    "scan": (
        ("every page with port tables under docs/", "portspec scan docs/"),
        (
            "as JSON, without the archive",
            "portspec scan docs/ --exclude archive --format json -o ports.json",
        ),
        (
            "in CI: parse only pages changed since the last run",
            "portspec scan docs/ --cache scan.json",
        ),
    ),
    "completion": (
        ("bash, for this shell only", 'eval "$(portspec completion bash)"'),
        ("zsh: save it in a folder of $fpath", "portspec completion zsh > ~/.zfunc/_portspec"),
        ("fish, for good", "portspec completion fish > ~/.config/fish/completions/portspec.fish"),
    ),
}


def examples_epilog(examples: Sequence[tuple[str, str]], epilog: str | None = None) -> str:
    """``epilog`` followed by an ``examples:`` block: each example's description as a
    ``#`` comment, then its command line. The CLI's help formatter keeps the block's
    indented lines as written."""
    lines = [HEADING]
    for what, command in examples:
        lines += [f"  # {what}", f"  {command}"]
    block = "\n".join(lines)
    return f"{epilog}\n\n{block}" if epilog else block
