"""What the project works out from specs: diffs, history, validation, firewall-rule
checks, preflight, and scans of docs trees.

Analyses return values; turning them into text is the ``output`` layer's job.
"""
