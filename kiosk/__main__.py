"""`python -m kiosk` is the `kiosk` command (the systemd unit starts it this way)."""

import sys

from kiosk.cli import main

sys.exit(main())
