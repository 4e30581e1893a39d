# The extension's own text in the site's language. A test writes
# locale/de/LC_MESSAGES/konvoy_portspec_sphinx.mo next to this file first.
import os

extensions = ["konvoy_portspec_sphinx"]
project = "ports-i18n"
exclude_patterns = ["_build"]
language = "de"
portspec_default_release = "v2.1"


def setup(app):
    here = os.path.dirname(os.path.abspath(__file__))
    app.add_message_catalog("konvoy_portspec_sphinx", os.path.join(here, "locale"))
