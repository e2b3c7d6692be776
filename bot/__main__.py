"""`python -m bot`: the same as the `hib2b` command."""

import sys

from bot.cli import main

sys.exit(main())
