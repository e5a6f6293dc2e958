"""教学常规 in the reports, on a fixture project: what each edition's sections and first-page statements say, and
that no staff name reaches the public edition (its views cannot even read the staff-level table)."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import params_with
from measures.test_routine import STAFF, routine_rows
from tqa.io.catalog import Catalog
from tqa.io.tables import write_tables
from tqa.measures.routine import routine
from tqa.reports.display import Note, Table
from tqa.reports.views import DistrictView, InternalSchoolView, PublicDistrictView, PublicSchoolView
from tqa.schema.tables import CHECKED, SCORES, spec

TERM = "2023-2"
NAMES = sorted({name for _, _, name, *_ in STAFF})
# min_published_n 3: the fixture's schools (7 and 3 judged staff) can be shown and banded
PARAMS = params_with({"reporting": {"min_published_n": 3, "min_rank_n": 3}})


def returns() -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "school_code": ["001", "002"],
            "school_name": ["城东小学", "北岭中学"],
            "school_type": ["小学", "初中"],
            "category": ["城区", "乡镇"],
            "submitted": [True, True],
            "source_file": ["001.xlsx", "002.xlsx"],
            "source_sha256": ["a", "b"],
            "name_in_return": ["城东小学", "北岭中学"],
            "filled_by": ["李", "王"],
            "usable": [True, True],
            "status": ["无问题", "无问题"],
        }
    )
    return CHECKED["returns"].conform(df)


@pytest.fixture()
def project(tmp_path):
    cat = Catalog(TERM, tmp_path)
    staff, roles, equity = routine(routine_rows(), returns(), PARAMS)
    write_tables({"returns": returns(), "routine": CHECKED["routine"].conform(routine_rows())}, cat.checked)
    write_tables(
        {
            "routine_staff": SCORES["routine_staff"].conform(staff),
            "routine_roles": SCORES["routine_roles"].conform(roles),
            "routine_equity": SCORES["routine_equity"].conform(equity),
        },
        cat.scores,
    )
    return tmp_path


def text_of(blocks) -> str:
    """Every word a list of display blocks would print (tables in full)."""
    out = []
    for b in blocks if isinstance(blocks, list) else [blocks]:
        if isinstance(b, Table):
            out += [b.caption or "", " ".join(map(str, b.df.columns)), b.df.astype(str).to_csv()]
        elif isinstance(b, Note):
            out.append(b.text)
        else:
            out.append(getattr(b, "text", str(b)))
    return "\n".join(out)


def reading(monkeypatch) -> list:
    reads: list = []
    original = Catalog.read
    monkeypatch.setattr(Catalog, "read", lambda self, s, n: reads.append((s, n)) or original(self, s, n))
    return reads


SECTIONS = ("routine_section", "routine_statements", "routine_group")


def test_the_public_views_read_no_internal_table_and_print_no_staff_name(project, monkeypatch):
    reads = reading(monkeypatch)
    views = (
        PublicDistrictView(TERM, str(project), params=PARAMS),
        PublicSchoolView(TERM, "001", str(project), params=PARAMS),
        PublicSchoolView(TERM, "002", str(project), params=PARAMS),
    )
    printed = "\n".join(text_of(getattr(v, name)()) for v in views for name in SECTIONS)
    assert reads and not [r for r in reads if spec(*r).internal_only], sorted(set(reads))
    assert [n for n in NAMES if n in printed] == []
    for view in views:
        with pytest.raises(PermissionError, match="scores/routine_staff"):
            view.read("scores", "routine_staff")
    # ... while the internal views name them
    internal = DistrictView(TERM, str(project), params=PARAMS)
    inside = text_of(internal.routine_section()) + text_of(internal.routine_statements())
    assert {"乙副校长", "丙主任", "辛校长"} <= {n for n in NAMES if n in inside}
    assert ("scores", "routine_staff") in reads


def test_internal_first_page_names_the_leaders_below_with_their_numbers(project):
    district = DistrictView(TERM, str(project), params=PARAMS).routine_statements()
    texts = [s.text for s in district]
    assert texts[:2] == [
        "全区校级和中层干部 5 人中 2 人达到每学期本人职务的各项最低要求（40.0%，区间 11.8%–76.9%）",
        "全区全体教职工 10 人中 5 人达到每学期本人职务的各项最低要求（50.0%，区间 23.7%–76.3%）",
    ]  # each role's share is in the section's table
    # by role (principals first), the furthest below first within a role
    assert texts[2:] == [
        "002 北岭中学校长辛校长本学期听课 12 节，低于每学期 30 节的要求；评课 3 节，低于每学期 10 节的要求",
        "001 城东小学业务副校长乙副校长本学期听课 44 节，低于每学期 45 节的要求",
        "001 城东小学中层丙主任本学期评课 9 节，低于每学期 10 节的要求",
    ]
    assert not any("甲校长" in t or "丁主任" in t for t in texts)  # exactly at the minimum, or above it
    few = params_with({"reporting": {"min_published_n": 3, "min_rank_n": 3}, "findings": {"top_n": 1}})
    capped = [s.text for s in DistrictView(TERM, str(project), params=few).routine_statements()]
    assert capped[2:] == [texts[2], "另有 2 名校级和中层干部未达到要求，名单见“教学常规”部分。"]
    school = [s.text for s in InternalSchoolView(TERM, "002", str(project), params=PARAMS).routine_statements()]
    assert school[0] == "校长辛校长本学期听课 12 节，低于每学期 30 节的要求；评课 3 节，低于每学期 10 节的要求"


def test_public_first_page_gives_the_district_shares_only(project):
    texts = [s.text for s in PublicDistrictView(TERM, str(project), params=PARAMS).routine_statements()]
    assert texts == [
        "全区校级和中层干部 5 人中 2 人达到每学期本人职务的各项最低要求（40.0%，区间 11.8%–76.9%）",
        "全区全体教职工 10 人中 5 人达到每学期本人职务的各项最低要求（50.0%，区间 23.7%–76.3%）",
    ]
    assert all("城东" not in t and "北岭" not in t for t in texts)
    # the schools' shares differ more than a stricter threshold allows: said in both editions, no school named
    strict = params_with({"reporting": {"min_published_n": 3, "min_rank_n": 3}, "routine": {"cv_threshold": 0.2}})
    staff, roles, equity = routine(routine_rows(), returns(), strict)
    write_tables({"routine_equity": SCORES["routine_equity"].conform(equity)}, Catalog(TERM, project).scores)
    texts = [s.text for s in PublicDistrictView(TERM, str(project), params=strict).routine_statements()]
    assert texts[2:] == ["全体教职工达到要求的比例，校际差异系数 0.22，超过提示线 0.20（2 所学校）"]


def test_the_school_table_withholds_small_roles_as_exam_results_are(project):
    shipped = params_with()  # min_published_n 10: 001 has 7 judged staff, so every share is withheld
    (table, note) = PublicSchoolView(TERM, "001", str(project), params=shipped).routine_section()
    t = table.df.set_index("职务")
    assert t.loc["校长", "人数"] == 1 and t.loc["校长", "达到要求"] == "—"
    assert t.loc["校长", "达到要求的比例（区间）"] == "人数过少，不公布"
    assert t.loc["全体教职工", "教研时数中位数"] == "—"  # 7 staff: the median is withheld too
    assert "少于 10 人" in note.text
    shown = PublicSchoolView(TERM, "001", str(project), params=PARAMS).routine_section()[0].df.set_index("职务")
    assert shown.loc["全体教职工", "达到要求"] == "3" and shown.loc["全体教职工", "与全区比较"] == "与全区相当"
    assert shown.loc["全体教职工", "教研时数中位数"] == "27"


def test_the_public_district_bands_schools_in_category_and_code_order(project):
    blocks = PublicDistrictView(TERM, str(project), params=PARAMS).routine_section()
    matrix = next(b for b in blocks if isinstance(b, Table) and b.caption.startswith("各校"))
    assert matrix.df["代码"].tolist() == ["001", "002"]  # 城区 before 乡镇
    # 002 has one leader (below 3: withheld); in the 乡镇 category it is the only school, and the category's
    # counts would give it away: the category's leader share is hidden as its complement
    assert matrix.df.set_index("代码").loc["002", "校级和中层干部"] == "人数过少，不公布"
    leaders = next(b for b in blocks if isinstance(b, Table) and b.caption == "各类别学校：校级和中层干部")
    assert leaders.df.set_index("范围").loc["乡镇", "达到要求"] == "—"


def test_within_a_role_the_leader_furthest_below_comes_first():
    from tqa.measures.routine import staff_table
    from tqa.reports.tables.routine import leader_rows

    rows = [
        ("001", 2, "甲主任", "中层", 29, 10, 1.0),  # 29 of 30: 0.967
        ("001", 3, "乙主任", "中层", 30, 5, 1.0),  # 5 of 10: 0.5
        ("002", 2, "丙主任", "中层", None, 10, 1.0),  # blank: none reached
        ("002", 3, "丁校长", "校长", 29, 10, 1.0),  # a principal comes first whatever his shortfall
    ]
    staff = staff_table(routine_rows(rows), returns(), PARAMS)
    assert leader_rows(staff, furthest_first=True)["staff_name"].tolist() == ["丁校长", "丙主任", "乙主任", "甲主任"]
    assert leader_rows(staff)["staff_name"].tolist() == ["甲主任", "乙主任", "丁校长", "丙主任"]  # school order
