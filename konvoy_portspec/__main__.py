"""``python -m konvoy_portspec``: the same as the ``portspec`` command."""

from konvoy_portspec.cli import main

main()
