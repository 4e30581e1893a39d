"""Sphinx configuration for the konvoy-portspec docs (built by ``make docs``).

The site dogfoods the project's own extension: release pages, the changelog and the
examples are rendered from the bundled spec at build time.
"""

import os
import sys

sys.path.insert(0, os.path.abspath("_ext"))

import konvoy_portspec

project = "konvoy-portspec"
author = "konvoy-portspec developers"
copyright = "konvoy-portspec developers"
release = version = konvoy_portspec.__version__

extensions = [
    "sphinx.ext.autodoc",
    "myst_parser",
    "konvoy_portspec_sphinx",
    "portspec_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]
root_doc = "index"
# confval (the extension's page documents its settings with it) is built in from 7.4;
# the extension itself supports Sphinx 7.2 and later.
needs_sphinx = "7.4"

# The extension: pages that name no release show the newest bundled one.
portspec_default_release = "latest"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

html_theme = "alabaster"
html_title = f"konvoy-portspec {release}"
html_theme_options = {
    "description": "Konvoy port documentation as a versioned spec",
    "page_width": "1100px",
}
