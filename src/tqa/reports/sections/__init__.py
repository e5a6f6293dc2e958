"""Report sections of the school-life families, as mixins of the views (tqa.reports.views)."""
