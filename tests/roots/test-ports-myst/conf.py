# The same features as test-ports-rst, written in MyST markdown.
extensions = ["myst_parser", "konvoy_portspec_sphinx"]
project = "ports-myst"
exclude_patterns = ["_build"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
portspec_default_release = "v2.1"
