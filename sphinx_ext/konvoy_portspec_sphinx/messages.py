"""The extension's own message catalog: text it generates (headers, "No changes between
...") is translated through it, not through the project's document catalogs.

``_`` looks the message up when called, so a site's ``language`` applies; without a
registered catalog (unit tests, no Sphinx app) it returns the English text. Sites and
translators add a language with a ``konvoy_portspec_sphinx.mo`` file under
``locale/<lang>/LC_MESSAGES/`` of this package, or in their own folder registered with
``app.add_message_catalog(CATALOG, folder)``; ``locale/konvoy_portspec_sphinx.pot`` is
the template.
"""

from __future__ import annotations

import os

from sphinx.locale import get_translation

#: The gettext domain of the extension's messages.
CATALOG = "konvoy_portspec_sphinx"
#: Where the shipped catalogs live (``<lang>/LC_MESSAGES/konvoy_portspec_sphinx.mo``).
LOCALE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "locale")

_translate = get_translation(CATALOG)


def _(message: str) -> str:
    """``message`` in the site's language (always a plain ``str``)."""
    return str(_translate(message))
