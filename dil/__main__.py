"""``python -m dil``: the same as the ``dil`` command."""

import sys

from dil.cli import main

sys.exit(main())
