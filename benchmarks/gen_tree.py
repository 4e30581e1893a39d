"""Generate a synthetic docs tree the size of the Konvoy docs repository, with ground truth.

Deterministic for a seed: the same arguments always give the same bytes. About 3 % of
the pages hold port tables in the styles real Konvoy pages use (pipe tables, HTML tables
with blank lines inside, rowspan, ranges, port lists, protocol columns, whole HTML
pages); many more hold other tables (requirements, operating systems, feature tables that
talk about ports in prose, named-port tables) or port tables inside code fences, which
must not be found; hidden folders, node_modules and _build hold port tables that a scan
must skip. ``generate()`` writes the tree and returns the ground truth:
``{relative path: {"tables": n, "rules": n, "roles": {role id: rules}}}``, also written
to ``GROUND_TRUTH.json`` at the root.

    python benchmarks/gen_tree.py OUT_DIR [--pages 8000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

COMPONENTS = [
    ("22", "Ansible", "ssh"),
    ("179", "calico-node", "BGP"),
    ("1338", "Containerd", "metrics"),
    ("2379", "etcd", "client"),
    ("2380", "etcd", "peer"),
    ("5473", "calico-typha", "syncserver"),
    ("6443", "kube-apiserver", ""),
    ("9091", "calico-node", "felix metrics"),
    ("9092", "calico-node", "bird metrics"),
    ("9093", "calico-typha", "metrics"),
    ("9099", "calico-node", "felix liveliness"),
    ("9100", "prometheus node-exporter", "metrics"),
    ("9400", "NVIDIA GPU DCGM", "metrics"),
    ("10248", "kubelet", "health"),
    ("10249", "kube-proxy", "metrics"),
    ("10250", "kubelet", ""),
    ("10256", "kube-proxy", "health"),
    ("10257", "kube-controller-manager", "secure port"),
    ("10259", "kube-scheduler", "secure port"),
    ("4789", "VXLAN overlay", "calico vxlan"),
    ("8472", "flannel", "vxlan"),
    ("51820", "wireguard", "encrypted overlay"),
]
SPECIAL_PORTS = [
    ("30000-32767", 1, "Kubernetes NodePorts"),
    ("30000\u201332767", 1, "Kubernetes NodePorts"),
    ("2379-2380", 1, "etcd"),
    ("9091, 9092", 2, "calico-node"),
    ("10250/TCP", 1, "kubelet"),
    ("7946/UDP", 1, "metallb memberlist"),
]
WORDS = [
    "the",
    "cluster",
    "node",
    "nodes",
    "kubernetes",
    "konvoy",
    "control",
    "plane",
    "worker",
    "deploy",
    "install",
    "configure",
    "support",
    "supported",
    "import",
    "export",
    "report",
    "transport",
    "portal",
    "important",
    "arrange",
    "ranger",
    "network",
    "policy",
    "calico",
    "pod",
    "pods",
    "service",
    "services",
    "load",
    "balancer",
    "ingress",
    "storage",
    "volume",
    "upgrade",
    "backup",
    "restore",
    "monitoring",
    "logging",
    "metrics",
    "prometheus",
    "grafana",
    "alert",
    "certificate",
    "with",
    "for",
    "and",
    "of",
    "to",
    "in",
    "on",
    "a",
    "an",
    "is",
    "are",
    "be",
    "can",
    "must",
    "should",
    "when",
    "after",
    "before",
    "this",
    "that",
    "your",
    "you",
    "it",
    "its",
    "from",
    "by",
    "as",
    "at",
    "or",
    "not",
    "all",
    "each",
    "every",
    "which",
    "uses",
    "use",
    "using",
    "provides",
]
PORT_SENTENCES = [
    "Open port 443 on the load balancer before you start.",
    "The port range 30000-32767 is reserved for NodePort services.",
    "Each node must reach the API server on its secure port.",
    "Make sure no other process listens on the ports listed for the node.",
    "A range of IP addresses is reserved for the pod network.",
]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 18))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(pool: list[str], rng: random.Random, port_words: bool) -> str:
    sentences = [rng.choice(pool) for _ in range(rng.randint(2, 6))]
    if port_words and rng.random() < 0.3:
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(PORT_SENTENCES))
    return " ".join(sentences)


CODE_BLOCKS = [
    "```bash\nkubectl get pods -A | grep -v Running | sort\n"
    "kubectl get svc -n kube-system -o wide | awk '{print $5}'\n```",
    "```yaml\nspec:\n  ports:\n    - port: 443\n      targetPort: 6443\n```",
    "```bash\nkonvoy up --yes 2>&1 | tee install.log\n```",
    "```text\nNAME     STATUS   ROLES    AGE\nnode-1   Ready    master   3d\n```",
]

OTHER_TABLES = [
    "| Resource | Minimum | Recommended |\n| --- | --- | --- |\n"
    "| CPU | 4 cores | 8 cores |\n| Memory | 16 GiB | 32 GiB |\n| Disk | 80 GiB | 160 GiB |",
    "| Operating system | Version | Kernel |\n|---|---|---|\n| CentOS | 7.9 | 3.10 |\n"
    "| Ubuntu | 20.04 | 5.4 |\n| RHEL | 8.4 | 4.18 |",
    "| Feature | Description |\n| --- | --- |\n| Port forwarding | Supports port forwarding "
    "to pods through the API server. |\n| Network policy | Restricts which ports a pod can "
    "reach. |",
    "| Component | Transport | Notes |\n|---|---|---|\n| etcd | TLS | peer and client |\n"
    "| kubelet | HTTPS | serving certificates |",
    "<table>\n  <tr><th>Add-on</th><th>Support status</th></tr>\n\n"
    "  <tr><td>traefik</td><td>supported</td></tr>\n\n"
    "  <tr><td>kibana</td><td>deprecated; see the port-forward guide</td></tr>\n</table>",
    "| Option | Default | Description |\n| :--- | :---: | ---: |\n"
    "| `--timeout` | `30m` | how long to wait |\n| `--verbose` | `false` | print more |",
]
NAMED_PORTS_TABLE = (
    "| Port name | Description |\n| --- | --- |\n| http-metrics | Prometheus scrape |\n"
    "| https | API |"
)
FENCED_PORT_TABLES = [
    "```markdown\n| Port | Component |\n| --- | --- |\n| 22 | Ansible |\n```",
    "~~~html\n<table>\n  <tr><th>Port</th><th>Component</th></tr>\n"
    "  <tr><td>6443</td><td>kube-apiserver</td></tr>\n</table>\n~~~",
]


class PortTables:
    """Renders one role's rules in a style and counts the rules the extractor will see."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def rows(self) -> list[tuple[str, int, str, str]]:
        """(port cell, rules it makes, component, notes) for one table."""
        rng = self.rng
        picked = rng.sample(COMPONENTS, rng.randint(5, 14))
        rows = [(port, 1, comp, notes) for port, comp, notes in picked]
        for _ in range(rng.randint(0, 2)):
            port, count, comp = rng.choice(SPECIAL_PORTS)
            rows.insert(rng.randrange(len(rows) + 1), (port, count, comp, ""))
        return rows

    def pipe(self) -> tuple[str, int]:
        rows = self.rows()
        if self.rng.random() < 0.5:
            lines = ["| **Port** | **Konvoy Component** | **Notes** |", "| --- | --- | --- |"]
            lines += [f"| {p} | {c} | {n} |" for p, _, c, n in rows]
            return "\n".join(lines), sum(k for _, k, _, _ in rows)
        lines = ["| Port | Protocol | Component | Notes |", "|---:|:---:|---|---|"]
        total = 0
        for port, count, comp, notes in rows:
            proto = "TCP"
            protocols = 1
            if "(" not in port and "/" not in port and self.rng.random() < 0.3:
                proto, protocols = self.rng.choice([("UDP", 1), ("TCP/UDP", 2)])
            lines.append(f"| {port} | {proto} | {comp} | {notes} |")
            total += count * protocols
        return "\n".join(lines), total

    def html_blank_lines(self) -> tuple[str, int]:
        rows = self.rows()
        out = ["<table>", "  <tr>", "   <td><strong>Port</strong>", "   </td>"]
        out += ["   <td><strong>Konvoy Component</strong>", "   </td>"]
        out += ["   <td><strong>Notes</strong>", "   </td>", "  </tr>"]
        for port, _, comp, notes in rows:
            out += ["", "  <tr>", f"   <td>{port}", "   </td>", f"   <td>{comp}", "   </td>"]
            out += [f"   <td>{notes}", "   </td>", "  </tr>"]
        out.append("</table>")
        return "\n".join(out), sum(k for _, k, _, _ in rows)

    def html_rowspan(self) -> tuple[str, int]:
        rows = sorted(self.rows(), key=lambda r: r[2])
        out = ["<table>", "<thead><tr><th>Port</th><th>Component</th><th>Notes</th></tr></thead>"]
        out.append("<tbody>")
        i = 0
        while i < len(rows):
            j = i
            while j < len(rows) and rows[j][2] == rows[i][2]:
                j += 1
            span = j - i
            for k in range(i, j):
                port, _, comp, notes = rows[k]
                if k == i:
                    attr = f' rowspan="{span}"' if span > 1 else ""
                    out.append(f"<tr><td>{port}</td><td{attr}>{comp}</td><td>{notes}</td></tr>")
                else:
                    out.append(f"<tr><td>{port}</td><td>{notes}</td></tr>")
            i = j
        out += ["</tbody>", "</table>"]
        return "\n".join(out), sum(k for _, k, _, _ in rows)


ROLE_TITLES = [("control-plane", "Control-plane nodes"), ("worker", "Worker nodes")]


def _port_page(rng: random.Random, pool: list[str], html_page: bool) -> tuple[str, dict]:
    tables = PortTables(rng)
    style = rng.choice(["pipe", "html_blank_lines", "html_rowspan"])
    if html_page:
        style = rng.choice(["html_blank_lines", "html_rowspan"])
    parts: list[str] = []
    truth = {"tables": 0, "rules": 0, "roles": {}}
    for role_id, title in ROLE_TITLES:
        parts.append(f"<h2>{title}</h2>" if html_page else f"## {title}")
        parts.append(f"<p>{_paragraph(pool, rng, True)}</p>" if html_page else "")
        count = rng.choice([1, 1, 1, 2])
        for n in range(count):
            if count > 1:
                sub = ["Inbound", "Metrics"][n]
                parts.append(f"<h3>{sub}</h3>" if html_page else f"### {sub}")
            text, rules = getattr(tables, style)()
            parts.append(text)
            truth["tables"] += 1
            truth["rules"] += rules
            truth["roles"][role_id] = truth["roles"].get(role_id, 0) + rules
        parts.append("")
    return "\n\n".join(parts), truth


def _page(rng: random.Random, pool: list[str], size: int, kind: str, html_page: bool) -> tuple:
    truth = None
    blocks: list[str] = []
    if html_page:
        blocks.append("<!DOCTYPE html>\n<html><head><title>Docs</title></head><body>")
        blocks.append(f"<h1>{rng.choice(pool)[:40]}</h1>")
    else:
        blocks.append(f"---\ntitle: {rng.choice(pool)[:40]}\nmenuWeight: {rng.randint(1, 99)}\n---")
        blocks.append(f"# {rng.choice(pool)[:40]}")
    port_words = rng.random() < 0.2
    if kind == "port":
        text, truth = _port_page(rng, pool, html_page)
        blocks.append(_paragraph(pool, rng, True))
        blocks.append(text)
    elif kind == "other":
        for _ in range(rng.randint(1, 3)):
            blocks.append(_paragraph(pool, rng, port_words))
            table = rng.choice(OTHER_TABLES)
            blocks.append(table if not html_page or table.startswith("<") else OTHER_TABLES[4])
    elif kind == "fenced" and html_page:  # an example in <pre> is inert markup
        blocks.append("<pre>" + FENCED_PORT_TABLES[1].split("\n", 1)[1][:-4] + "</pre>")
    elif kind == "fenced":
        blocks.append(rng.choice(FENCED_PORT_TABLES))
    elif kind == "named":
        blocks.append(NAMED_PORTS_TABLE)
    length = sum(len(b) for b in blocks)
    while length < size:
        if rng.random() < 0.15:
            block = f"## {rng.choice(pool)[:50]}"
        elif rng.random() < 0.12 and not html_page:
            block = rng.choice(CODE_BLOCKS)
        else:
            block = _paragraph(pool, rng, port_words)
            if html_page:
                block = f"<p>{block}</p>"
        blocks.append(block)
        length += len(block) + 2
    if html_page:
        blocks.append("</body></html>")
    # A fenced example on a real ports page (the draw happens for HTML pages too).
    if truth is not None and rng.random() < 0.3 and not html_page:
        blocks.insert(rng.randrange(2, len(blocks) + 1), rng.choice(FENCED_PORT_TABLES))
    return "\n\n".join(blocks) + "\n", truth


def generate(
    root: str | Path,
    pages: int = 8000,
    seed: int = 7,
    mean_size: int = 8700,
    port_share: float = 0.03,
) -> dict[str, dict]:
    """Write the tree under ``root`` (which should not exist or be empty); the truth."""
    rng = random.Random(seed)
    root = Path(root)
    pool = [_sentence(rng) for _ in range(3000)]
    sections = ["install", "networking", "operations", "security", "storage", "reference"]
    releases = ["1.5", "1.6", "1.7", "1.8", "2.0", "2.1", "2.2", "2.3"]
    truth: dict[str, dict] = {}
    for n in range(pages):
        release = rng.choice(releases)
        folder = f"dkp/konvoy/{release}/{rng.choice(sections)}/topic-{n % 97:02d}"
        draw = rng.random()
        if draw < port_share:
            kind = "port"
        elif draw < port_share + 0.15:
            kind = "other"
        elif draw < port_share + 0.16:
            kind = "fenced"
        elif draw < port_share + 0.165:
            kind = "named"
        else:
            kind = "prose"
        html_page = rng.random() < 0.05
        size = int(min(mean_size * 12, rng.lognormvariate(0, 0.6) * mean_size / 1.197))
        text, page_truth = _page(rng, pool, size, kind, html_page)
        rel = f"{folder}/page-{n:05d}." + (
            "html" if html_page else rng.choice(["md"] * 9 + ["mdx"])
        )
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if page_truth is not None:
            truth[rel] = page_truth
    for skipped in (".github/ports.md", "node_modules/docs-theme/ports.md", "_build/html/ports.md"):
        text, _ = _page(rng, pool, 2000, "port", False)
        path = root / skipped
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    ordered = dict(sorted(truth.items()))
    (root / "GROUND_TRUTH.json").write_text(json.dumps(ordered, indent=1) + "\n", "utf-8")
    return ordered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--pages", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    truth = generate(args.out, args.pages, args.seed)
    size = sum(p.stat().st_size for p in Path(args.out).rglob("*") if p.is_file())
    print(f"{args.pages} pages, {size / 1e6:.1f} MB, {len(truth)} with port tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
