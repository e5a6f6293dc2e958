"""``python -m tqa.checks [checks]``: rewrite checks/*.json in canonical form (see suites.main)."""

from tqa.checks.suites import main

raise SystemExit(main())
