"""``python -m dosaku_gui``: same as the ``dosaku_gui`` command."""
from dosaku_gui.cli import main

if __name__ == "__main__":
    main()
