"""The report sections of each family of measures: mixins of the views (``tqa.reports.views``)."""
