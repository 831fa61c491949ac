"""``python -m territobs``: the command line, as the ``territobs`` script."""

from territobs.cli import main

if __name__ == "__main__":
    main()
