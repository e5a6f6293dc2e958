"""The report charts: the drawing machinery (base) and one module per family of measures (academic)."""
