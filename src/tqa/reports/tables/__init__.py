"""Table shaping for the reports (pure functions): shared rules, the district report's tables, the school report's."""
