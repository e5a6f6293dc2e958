"""Foundation shared by every step: terms, the unit hierarchy, the vocabulary, row order, issues, cell normalisation."""
