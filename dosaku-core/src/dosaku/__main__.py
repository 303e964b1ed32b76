"""``python -m dosaku``: the same as the ``dosaku`` command."""
from dosaku.cli import main

main()
