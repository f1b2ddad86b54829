"""`python -m pos` is the `pos` command."""

from pos.cli import main

raise SystemExit(main())
