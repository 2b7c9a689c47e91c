"""``python -m spikesim`` (and ``torchrun -m spikesim``) run the command line."""

import sys

from spikesim.cli import main

if __name__ == "__main__":
    sys.exit(main())
