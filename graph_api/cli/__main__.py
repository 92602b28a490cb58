"""``python -m graph_api.cli``: the ``graph-api`` command."""

import sys

from graph_api.cli import main

if __name__ == "__main__":
    sys.exit(main())
