"""The sample-district generator: determinism, realism, and the injected defects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from helpers import REPO, shipped_params
from tqa.core import vocabulary as vocab
from tqa.devtools.sample import KINDS, PLANT_KINDS, build_district, defects_json, generate_district, injected_defects
from tqa.devtools.sample.__main__ import main as sample_main
from tqa.schema import office, sheets

FIXTURE = REPO / "tests" / "fixtures" / "sample_defects.json"


@pytest.fixture(scope="module")
def default_district():
    return build_district(40, 2023, ("2023-1", "2023-2"))


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    out = tmp_path_factory.mktemp("messy")
    return out, generate_district(out, schools=4, seed=1, messy=True, jobs=1)


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ---- determinism ---------------------------------------------------------------------------
def test_same_arguments_give_identical_bytes(tmp_path, messy):
    first_root, first = messy
    again = generate_district(tmp_path, schools=4, seed=1, messy=True, jobs=2)  # parallel writer, same bytes
    a, b = _files(first_root), _files(tmp_path)
    assert list(a) == list(b) and len(a) == 2 * 4 + 4 + 3  # 4 returns, then 3 (one not submitted), office CSVs
    assert all(a[k] == b[k] for k in a)
    assert again["defects"] == first["defects"]


def test_other_seed_differs(tmp_path):
    s1 = build_district(3, 1, ("2023-1",))
    s2 = build_district(3, 2, ("2023-1",))
    assert not s1.students["2023-1"]["student_id"].equals(s2.students["2023-1"]["student_id"])


# ---- realism (default 40-school configuration, in memory) -----------------------------------
def test_district_size_and_mix(default_district):
    d = default_district
    for term in d.terms:
        assert 15_000 <= len(d.students[term]) <= 25_000
    assert set(d.schools["school_type"]) == set(vocab.SCHOOL_TYPES)
    assert set(d.schools["category"]) == set(vocab.SCHOOL_CATEGORIES)
    assert d.schools["school_code"].tolist() == [f"{i:03d}" for i in range(1, 41)]
    assert d.schools["school_name"].is_unique
    size = d.students["2023-1"].groupby("school_code").size()
    by_cat = size.groupby(d.schools.set_index("school_code")["category"]).mean()
    assert by_cat["农村"] < by_cat["乡镇"] < by_cat["城区"]
    cls = d.students["2023-1"].groupby(["school_code", "grade", "class_no"]).size()
    urban = d.schools.loc[d.schools["category"] == "城区", "school_code"]
    assert cls.loc[urban.tolist()].between(30, 50).all()


def test_student_ids_and_same_students_across_terms(default_district):
    s1, s2 = default_district.students["2023-1"], default_district.students["2023-2"]
    for s in (s1, s2):
        assert s["student_id"].is_unique
        assert s["student_id"].str.fullmatch(r"G\d{18}").all()
    m = s1.merge(s2, on="student_id", suffixes=("_1", "_2"))
    assert len(m) / len(s1) > 0.98
    assert (m["grade_1"] == m["grade_2"]).all()
    stayed = m[m["school_code_1"] == m["school_code_2"]]
    assert (stayed["class_no_1"] == stayed["class_no_2"]).all()
    moved = m[m["school_code_1"] != m["school_code_2"]]
    assert 10 <= len(moved) <= 200  # a few transfers between schools


def test_scores_are_correlated_and_ceiling_in_primary(default_district):
    sc1, sc2 = default_district.scores["2023-1"], default_district.scores["2023-2"]
    upper = sc1[sc1["grade"] >= 3]
    assert _num(upper["语文"]).corr(_num(upper["数学"])) > 0.5
    m = sc1.merge(sc2, on="student_id")
    assert _num(m["数学_x"]).corr(_num(m["数学_y"])) > 0.6
    prim, jun = sc1[sc1["grade"].between(3, 6)], sc1[sc1["grade"] >= 7]
    prim_share = _num(prim["数学"]) / 100
    jun_share = _num(jun["数学"]) / 120
    assert prim_share.mean() > jun_share.mean() + 0.1
    assert (prim_share == 1).mean() > (jun_share == 1).mean()
    assert prim_share.skew() < 0  # piled up near full marks
    # junior 语文 is marked in half points; every score is within 0..full marks
    yw = _num(jun["语文"]).dropna()
    assert ((yw * 2) % 1 == 0).all() and (yw % 1 == 0.5).any() and yw.between(0, 120).all()
    # grades 1-2: levels only
    low = sc1.loc[sc1["grade"] <= 2, "语文"]
    assert set(low) <= {*vocab.LEVELS, vocab.ABSENT, vocab.EXEMPT}
    # subjects of other grades are blank
    assert sc1.loc[sc1["grade"] <= 6, "物理"].isna().all()
    assert sc1.loc[sc1["grade"] == 9, "地理"].isna().all()


def test_absent_exempt_and_value_added(default_district):
    d = default_district
    sc = d.scores["2023-2"]
    cells = sc[["语文", "数学"]].stack()
    assert 0.001 < (cells == vocab.ABSENT).mean() < 0.02
    assert 0.0005 < (cells == vocab.EXEMPT).mean() < 0.01
    assert (d.schools["value_added"] > 0.2).sum() >= 2 and (d.schools["value_added"] < -0.2).sum() >= 2


def test_fitness_homework_sleep_routine(default_district):
    d = default_district
    fit = d.fitness["2023-2"]["total_score"]
    assert fit.between(0, 120).all() and fit.between(60, 95).mean() > 0.8
    sv = d.survey["2023-2"]
    assert sv["homework_minutes"].between(0, 600).all() and sv["sleep_hours"].between(0, 16).all()
    mid = sv[sv["grade"].between(3, 6)].groupby("school_code")["homework_minutes"].mean()
    assert mid.median() < 60 and (mid > 60).sum() >= 1  # a few schools over the 双减 limit
    rt = d.routine["2023-2"]
    assert set(rt["role"]) == set(vocab.ROLES)
    heads = rt[rt["role"] == "校长"]["lessons_observed"]
    assert len(heads) == 40 and heads.min() < 20 and heads.max() > 30
    enr = d.enrolment["2023-2"].set_index(["school_code", "grade"])
    n = d.students["2023-2"].groupby(["school_code", "grade"]).size()
    # every grade's roll is its students, except the one planted roll mismatch (test_sample_plants)
    agree = enr["enrolled"] == n
    (mismatch,) = [p for p in d.plants["2023-2"] if p.kind == "roll_mismatch"]
    assert agree.index[~agree].tolist() == [(mismatch.school_code, vocab.GRADE_ALIASES[mismatch.row_key])]
    assert enr["transferred_in"].sum() > 0 and enr["dropped_out"].sum() > 0


# ---- defects -------------------------------------------------------------------------------
def test_shipped_fixture_is_current_and_has_every_kind():
    defects = injected_defects()
    assert FIXTURE.read_text(encoding="utf-8") == defects_json(defects)
    assert {x.kind for x in defects if x.term == "2023-2"} == set(KINDS) | set(PLANT_KINDS)
    assert any(x.term == "2023-1" for x in defects)
    gone = [x.school_code for x in defects if x.kind == "not_submitted"]
    assert gone == ["022"]


def _sheet_rows(path: Path, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb[sheet].iter_rows(values_only=True))
    wb.close()
    return rows


def test_each_defect_is_where_the_record_says(messy):
    root, summary = messy
    defects = summary["defects"]
    assert {x.kind for x in defects if x.term == "2023-2"} - set(PLANT_KINDS) == set(KINDS)
    for x in defects:
        path = root / x.term / f"{x.school_code}.xlsx"
        if x.kind in PLANT_KINDS:  # a 4-school district has only its lazy principal (test_sample_plants)
            assert x.kind == "lazy_principal" and x.value in _sheet_rows(path, x.sheet)[x.excel_row - 1]
            continue
        if x.kind == "not_submitted":
            assert not path.exists()
            reg = pd.read_csv(root / x.term / "office" / office.REGISTRY.file, dtype=str, encoding="utf-8-sig")
            assert x.school_code in set(reg["学校代码"])
            continue
        rows = _sheet_rows(path, x.sheet)
        row = rows[x.excel_row - 1]
        if x.kind == "blank_rows":
            assert all(v is None for v in row)
        elif x.kind == "title_rows":
            assert rows[0][0] == x.value and "全国学籍号" in row
        elif x.kind == "columns_reordered":
            if x.sheet == sheets.SCORES.name:
                assert row.index("性别") < row.index("年级") and row[-1] == "语文" and row[5] != "语文"
            else:
                assert row[:2] == ("职务", "姓名")
        elif x.kind.startswith("school_name"):
            assert row == (sheets.INFO_LABELS["school_name"], x.value) + (None,) * (len(row) - 2)
        elif x.kind in ("header_alias", "item_label_variant"):
            assert x.column in row and x.value not in row
        else:
            header = next(r for r in rows if sum(v is not None for v in r) >= 3)  # below any title rows
            cell = row[list(header).index(x.column)]
            assert str(cell) == x.value, (x, row)


def test_shared_student_and_duplicate_row(messy):
    root, summary = messy
    shared = next(x for x in summary["defects"] if x.kind == "student_in_two_schools")
    holders = []
    for p in sorted((root / "2023-2").glob("*.xlsx")):
        if any(shared.value in r for r in _sheet_rows(p, sheets.SCORES.name)):
            holders.append(p.stem)
    assert len(holders) == 2 and shared.school_code in holders
    dup = next(x for x in summary["defects"] if x.kind == "duplicate_row")
    rows = _sheet_rows(root / "2023-2" / f"{dup.school_code}.xlsx", sheets.SCORES.name)
    assert rows[dup.excel_row - 1] == rows[dup.excel_row - 2]


def test_clean_district_is_canonical(tmp_path):
    s = generate_district(tmp_path, schools=3, seed=7, terms=("2023-2",), messy=False, jobs=1)
    # no format defect; the planted cases are the district's data (a 3-school district has only a lazy principal)
    assert {x.kind for x in s["defects"]} == {"lazy_principal"} and s["files"]["2023-2"] == 3
    wb = openpyxl.load_workbook(tmp_path / "2023-2" / "001.xlsx", read_only=True)
    # every school of this district teaches grade 6 or 9, so every return has the item sheet
    assert wb.sheetnames == [*sheets.REQUIRED_SHEETS, sheets.ITEMS.name]
    items = list(wb[sheets.ITEMS.name].iter_rows(values_only=True))
    assert list(items[0][:5]) == ["全国学籍号", "年级", "学科", "1", "2"] and items[0][-1] == "19"
    assert {r[1] for r in items[1:]} == {"六年级"} and {r[2] for r in items[1:]} == {"数学"}
    header = next(wb[sheets.SCORES.name].iter_rows(values_only=True))
    assert list(header[:5]) == list(sheets.SCORES.columns.values())
    info = list(wb[sheets.INFO.name].iter_rows(values_only=True))
    assert info[0][:2] == ("学校代码", "001") and info[2][:2] == ("学期", "2023-2024学年第二学期")
    assert info[6][:6] == tuple(sheets.INFO.columns.values()) and info[7][0] == "一年级"
    wb.close()
    raw = (tmp_path / "2023-2" / "office" / office.EXAM_SPEC.file).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + "年级,学科,满分,评价方式\n".encode())
    spec = pd.read_csv(tmp_path / "2023-2" / "office" / office.EXAM_SPEC.file, encoding="utf-8-sig")
    assert len(spec) == 2 + 2 + 4 * 4 + 7 + 8 + 7
    assert spec.query("年级 == 9 and 学科 == '化学'")["满分"].item() == 100
    raw = (tmp_path / "2023-2" / "office" / office.ITEM_SPEC.file).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + "年级,学科,题号,满分,题型\n6,数学,1,3,客观\n".encode())
    ispec = pd.read_csv(tmp_path / "2023-2" / "office" / office.ITEM_SPEC.file, encoding="utf-8-sig", dtype=str)
    assert ispec.groupby(["年级", "学科"])["满分"].apply(lambda s: s.astype(int).sum()).to_dict() == {
        ("6", "数学"): 100,
        ("9", "数学"): 120,
    }
    assert set(ispec["题型"]) == {"客观", "主观"}
    ratings = pd.read_csv(tmp_path / "2023-2" / "office" / office.RATINGS.file, encoding="utf-8-sig", dtype=str)
    assert list(ratings.columns) == list(office.RATINGS.columns.values()) and len(ratings) == 30
    assert set(ratings["等级"]) <= {"A", "B", "C"}


def test_cli_rejects_terms_of_two_school_years(tmp_path, capsys):
    assert sample_main(["--out", str(tmp_path), "--schools", "2", "--terms", "2023-2,2024-1"]) == 2
    assert "同一学年" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


# ---- item-level scores (小题得分) ------------------------------------------------------------------
def _long_items(d, term) -> pd.DataFrame:
    """The generated wide item sheets as tqa.measures.academic.items input (absent students: no rows)."""
    parts = []
    for w in d.items[term].values():
        labels = [c for c in w.columns if c not in ("school_code", "student_id", "grade", "subject")]
        long = w.melt(
            id_vars=["school_code", "student_id", "grade", "subject"],
            value_vars=labels,
            var_name="item",
            value_name="score",
        )
        parts.append(long[long["score"] != vocab.ABSENT].astype({"score": "float64"}))
    return pd.concat(parts, ignore_index=True)


def _item_spec(d) -> pd.DataFrame:
    return d.item_spec.assign(type=d.item_spec["type"].map(vocab.ITEM_TYPES))


def test_item_scores_add_up_to_the_math_score(default_district):
    d = default_district
    for term in d.terms:
        sc = d.scores[term]
        long = _long_items(d, term)
        assert set(zip(long["grade"], long["subject"])) == {(6, "数学"), (9, "数学")}
        total = long.groupby("student_id")["score"].sum()
        maths = _num(sc.set_index("student_id")["数学"])
        assert (total == maths.loc[total.index]).all()  # exactly, student by student
        # every scored grade 6 / 9 student is listed; absent ones with 缺考 in every cell; exempt ones not at all
        papers = sc[sc["grade"].isin([6, 9])]
        scored = set(papers.loc[_num(papers["数学"]).notna(), "student_id"])
        assert set(total.index) == scored
        wide = pd.concat(d.items[term].values())
        absent = set(papers.loc[papers["数学"] == vocab.ABSENT, "student_id"])
        assert absent and set(wide["student_id"]) == scored | absent
        cells = wide.loc[wide["student_id"].isin(absent), "1"]
        assert (cells == vocab.ABSENT).all()
        # within 0..item full marks; objective items are 0 or full
        spec = d.item_spec.rename(columns={"full_marks": "full"})
        m = long.merge(spec, on=["grade", "subject", "item"])
        assert len(m) == len(long) and m["score"].between(0, m["full"]).all()
        obj = m[m["type"] == vocab.ITEM_TYPE_OBJECTIVE]
        assert ((obj["score"] == 0) | (obj["score"] == obj["full"])).all()
        subj = m[m["type"] == vocab.ITEM_TYPE_SUBJECTIVE]
        assert ((subj["score"] > 0) & (subj["score"] < subj["full"])).mean() > 0.3  # partial credit


def test_item_analysis_finds_the_planted_items(default_district):
    from tqa.devtools.sample.items import FLAWED_ITEM, PAPERS, TOO_EASY_ITEM
    from tqa.measures.academic import items as ia

    d = default_district
    st = ia.item_stats(_long_items(d, "2023-2"), _item_spec(d), shipped_params()).set_index(
        ["grade", "subject", "item"]
    )
    assert len(st) == sum(len(v) for v in PAPERS.values())
    flawed, easy = st.loc[FLAWED_ITEM], st.loc[TOO_EASY_ITEM]
    assert flawed["discrimination"] < -0.2 and flawed["flag_negative"] and flawed["item_total_r"] < 0
    assert easy["difficulty"] > 0.95 and easy["flag_too_easy"]
    others = st.drop(index=[FLAWED_ITEM, TOO_EASY_ITEM])
    assert (others["discrimination"] > 0.1).all() and not others["flag_negative"].any()
    assert not others["flag_too_easy"].any() and not st["flag_too_hard"].any()
    # discrimination differs from item to item (own a per item), difficulty spans a range
    jun = others.loc[9]
    assert jun["discrimination"].max() - jun["discrimination"].min() > 0.3
    assert jun["difficulty"].min() < 0.5 < 0.85 < jun["difficulty"].max()
    papers = ia.paper_stats(_long_items(d, "2023-2"), _item_spec(d), shipped_params()).set_index("grade")
    assert (papers["alpha"] > 0.85).all() and (papers["n_incomplete"] == 0).all()


def test_draw_items_hits_every_total_and_is_seeded():
    from tqa.devtools.sample.items import PAPERS, draw_items

    paper = PAPERS[(9, "数学")]
    totals = np.array([0, 1, 2, 60, 117, 118, 119, 120] * 50)
    a = draw_items(totals, paper, np.random.default_rng(5))
    b = draw_items(totals, paper, np.random.default_rng(5))
    assert (a == b).all() and (a.sum(axis=1) == totals).all()
    full = np.array([it.full for it in paper])
    assert (a[totals == 0] == 0).all() and (a[totals == 120] == full).all()
    assert ((a >= 0) & (a <= full)).all()
    with pytest.raises(ValueError):
        draw_items(np.array([121]), paper, np.random.default_rng(5))


def test_item_sheet_defects(messy):
    root, summary = messy
    found = [x for x in summary["defects"] if x.sheet == sheets.ITEMS.name]
    assert {(x.kind, x.excel_row) for x in found if x.kind == "item_label_variant"} == {("item_label_variant", 1)}
    assert sorted(x.value for x in found if x.kind == "item_label_variant") == ["1", "2"]
    assert sum(x.kind == "fullwidth_digits" for x in found) == 2
    assert {x.term for x in found} == {"2023-2"}
