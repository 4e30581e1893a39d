# conf.py values of the wrong type, and spec files with problems: each problem is one
# warning, at its own file and line, however many pages use the extension.
extensions = ["konvoy_portspec_sphinx"]
project = "ports-config"
exclude_patterns = ["_build"]
# A number, as people write it: read as "2.1" (one warning, here).
portspec_default_release = 2.1
# One path, not a list: read as ["ports"] (one warning, here).
portspec_spec_paths = "ports"
