# A small reST site using every feature of konvoy_portspec_sphinx.
extensions = ["konvoy_portspec_sphinx"]
project = "ports-rst"
exclude_patterns = ["_build"]
portspec_default_release = "v2.1"
# A folder of user specs: one adds a release, one overrides the bundled v2.3.
portspec_spec_paths = ["specs"]
numfig = True
