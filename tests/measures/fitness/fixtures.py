"""Small hand-built fitness tables shared by the fitness tests."""

from __future__ import annotations

import pandas as pd

# School 001 (城区), grade 7: every level boundary. Levels: 不及格 59.9, 45.0; 及格 60.0, 79.9, 70.0;
# 良好 80.0, 89.9; 优秀 90.0, 95.0, 100.0.
SCHOOL_A = [59.9, 60.0, 79.9, 80.0, 89.9, 90.0, 95.0, 100.0, 45.0, 70.0]
# School 002 (农村), grade 7: 30 students, 24 优良 (12 优秀 + 12 良好), 6 及格, nobody below 60.
SCHOOL_B = [92.0] * 12 + [81.0] * 12 + [61.0] * 6


def fitness_rows(scores: dict[tuple[str, int], list[float]]) -> pd.DataFrame:
    """One row per student; sexes alternate 男, 女, 男, ... within each school x grade."""
    rows = []
    for (code, grade), values in scores.items():
        for i, s in enumerate(values):
            rows.append(
                {
                    "school_code": code,
                    "sheet": "体质健康",
                    "excel_row": i + 2,
                    "student_id": f"{code}{grade}{i:03d}",
                    "grade": grade,
                    "sex": "男女"[i % 2],
                    "total_score": s,
                }
            )
    return pd.DataFrame(rows).astype({"grade": "Int64", "total_score": "float64"})


def enrolment(counts: dict[tuple[str, int], int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_code": [c for c, _ in counts],
            "grade": pd.array([g for _, g in counts], dtype="Int64"),
            "enrolled": pd.array(list(counts.values()), dtype="Int64"),
        }
    )


RETURNS = pd.DataFrame(
    {
        "school_code": ["001", "002", "003"],
        "school_name": ["甲校", "乙校", "丙校"],
        "category": ["城区", "农村", "农村"],
        "usable": [True, True, False],
    }
)


def two_schools() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fitness rows, enrolment): 001 tests 10 of 12 enrolled, 002 30 of 30; 003 is not usable."""
    fit = fitness_rows({("001", 7): SCHOOL_A, ("002", 7): SCHOOL_B, ("003", 7): [50.0] * 10})
    return fit, enrolment({("001", 7): 12, ("002", 7): 30, ("003", 7): 10})
