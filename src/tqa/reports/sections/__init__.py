"""Report sections of the families of measures beyond the exam results: mixins of the views (tqa.reports.views)."""
