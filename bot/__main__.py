"""`python -m bot` is the same as the `meetup-bot` command."""

from bot.cli import main

raise SystemExit(main())
