"""Turning specs and analysis results into text: tables, diff reports, reports of the
checks, and firewall/policy exports.
"""
