"""学籍变动、辍学与巩固: the term's movements, 辍学率 and 巩固率 per school x grade, pooled (``rates``), the
cross-term reconciliation's 疑似流失 counts beside them, and 入学率 from the office's population file (``entry``)."""
