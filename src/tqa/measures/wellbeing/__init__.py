"""作业与睡眠 (双减 and 五项管理): the survey's homework minutes and sleep hours against the limits of params
``homework_sleep``, per school x grade (and grade band) and pooled for the categories and the district
(``survey``), the equity across schools (``survey.equity``), and burden against results (``burden``)."""
