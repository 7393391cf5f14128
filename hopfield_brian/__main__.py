"""``python -m hopfield_brian``: the command line."""

import sys

from hopfield_brian.cli import main

if __name__ == "__main__":  # not when a documentation tool imports every module
    sys.exit(main())
