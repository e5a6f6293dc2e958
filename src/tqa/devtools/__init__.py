"""Tools for developers and analysts, not steps: the sample district, the blank template, the docs
generator, make lab."""
