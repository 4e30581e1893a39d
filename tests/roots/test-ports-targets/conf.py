# Ids, names, references, the general index and objects.inv.
extensions = ["konvoy_portspec_sphinx"]
project = "ports-targets"
exclude_patterns = ["_build"]
portspec_default_release = "v2.1"
portspec_spec_paths = ["ports"]
numfig = True
