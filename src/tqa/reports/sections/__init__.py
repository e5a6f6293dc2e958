"""Report sections of the families beyond the exam results, as mixins of the views (``tqa.reports.views``)."""
