"""Steps 4-6: what each report shows (views), table shaping, charts, labels, small-cell disclosure, HTML and PDF."""
