"""教学常规: lessons observed and evaluated, and teaching-research hours, against each role's minimum per term
(params ``routine``): each staff member judged, then the share of each role meeting its minimum per school,
category and district (pooled counts, Wilson intervals, bands against the district)."""

from tqa.measures.routine.minimums import (
    ALL_STAFF,
    LEADERS,
    ROLE_GROUPS,
    equity,
    minimums,
    role_shares,
    routine,
    staff_table,
)

__all__ = ["ALL_STAFF", "LEADERS", "ROLE_GROUPS", "equity", "minimums", "role_shares", "routine", "staff_table"]
