"""``python -m konvoy_portspec``: the same as the ``portspec`` command."""

from .cli import main

main()
