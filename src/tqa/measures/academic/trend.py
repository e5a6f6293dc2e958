"""排名统计表: every unit's rates and ranks in every term on disk, one long table."""

from __future__ import annotations

import pandas as pd

from tqa.core.ordering import sort_rows
from tqa.measures.academic.standing import drop_level_ranks
from tqa.schema.tables import SCORES


def trend(stats_by_term: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """排名统计表: every unit's rates and ranks in every term, one long table (term as a column).

    Takes subject_stats or school_results per term; columns of the ``trend`` table that a term lacks are NA.
    Level-graded papers (``mode`` 等级) keep their rates but no rank, also for terms written before that rule.
    Sorted by level, unit, grade, subject, term (terms sort as text: 2023-1 < 2023-2 < 2024-1).
    """
    columns = list(SCORES["trend"].names)
    parts = []
    for term in sorted(stats_by_term):
        df = drop_level_ranks(stats_by_term[term])
        parts.append(df.reindex(columns=[c for c in columns if c != "term"]).assign(term=term))
    if not parts:
        return SCORES["trend"].empty()
    out = pd.concat(parts, ignore_index=True)[columns]
    out = out.assign(_u=out["unit_code"].astype("string"))
    return sort_rows(out, ["level", "_u", "grade", "subject", "term"]).drop(columns="_u")
