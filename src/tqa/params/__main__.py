"""``python -m tqa.params``: see tqa.params.main."""
from tqa.params import main

raise SystemExit(main())
