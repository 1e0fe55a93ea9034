"""``python -m immutable_constructs.cli``: the ``immutable-constructs`` command."""

import sys

from . import main

sys.exit(main())
