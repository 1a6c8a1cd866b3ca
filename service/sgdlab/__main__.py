"""`python -m sgdlab` is the `sgdlab` command."""

from .cli import main

raise SystemExit(main())
