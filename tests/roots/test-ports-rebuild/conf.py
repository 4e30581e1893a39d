# Incremental builds: which pages a change of the user's spec files re-reads.
extensions = ["konvoy_portspec_sphinx"]
project = "ports-rebuild"
exclude_patterns = ["_build"]
portspec_default_release = "v2.1"
portspec_spec_paths = ["ports"]
