"""Entry point of `python -m dtdl`."""

import sys

from .cli import main

sys.exit(main())
