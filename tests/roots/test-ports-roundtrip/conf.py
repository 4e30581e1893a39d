# One page holding only the directive; tests pick the release with confoverrides.
extensions = ["konvoy_portspec_sphinx"]
project = "ports-roundtrip"
exclude_patterns = ["_build"]
portspec_default_release = "v2.1"
