"""Spec -> the plain data formats: CSV for spreadsheets, a flat JSON list for scripts.

CSV text cells go through :func:`~konvoy_portspec.output.escape.csv_cell`, which keeps
a spreadsheet from running a cell as a formula; port numbers are numbers, not text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from konvoy_portspec.io.spec_json import rule_to_dict
from konvoy_portspec.model import Role
from konvoy_portspec.output.escape import csv_cell
from konvoy_portspec.output.exporters.base import Exporter

__all__ = ["CSV_HEADER", "CsvExporter", "JsonExporter"]

CSV_HEADER = ("port", "end_port", "protocol", "component", "notes", "role")


class CsvExporter(Exporter):
    name = "csv"
    description = "CSV: port,end_port,protocol,component,notes,role (empty port: port-less)"

    def render(self, roles: Sequence[Role]) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        # The csv module quotes a field for the line terminator's characters only, so a
        # row whose text holds a CR is written fully quoted, or the CR would split it.
        quoted = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(CSV_HEADER)
        for role in roles:
            for rule in role.rules:
                text = [csv_cell(t) for t in (rule.protocol, rule.component, rule.notes, role.id)]
                ports = ["" if n is None else str(n) for n in (rule.port, rule.end_port)]
                (quoted if any("\r" in t for t in text) else writer).writerow(ports + text)
        return buf.getvalue()


class JsonExporter(Exporter):
    name = "json"
    description = "JSON: a flat list of rules, each with its role"

    def render(self, roles: Sequence[Role]) -> str:
        rows = []
        for role in roles:
            rows += [{"role": role.id, **rule_to_dict(rule)} for rule in role.rules]
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
