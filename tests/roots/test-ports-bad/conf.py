# Every kind of bad input; each must be a warning at the page's file:line.
extensions = ["myst_parser", "konvoy_portspec_sphinx"]
project = "ports-bad"
exclude_patterns = ["_build"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# No portspec_default_release: a directive without a release is an error here.
portspec_spec_paths = ["specs", "missing.json"]
