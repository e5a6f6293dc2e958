"""入学率 from office/population.csv: computed only when the file is there; by hand per catchment and district."""

from __future__ import annotations

import pandas as pd
import pytest

from tqa.io.office import OfficeFileError, read_population
from tqa.measures.enrolment.entry import entry_rates
from tqa.measures.enrolment.rates import TARGET_MET, TARGET_MISSED

RETURNS = pd.DataFrame({"school_code": ["001", "002", "003"], "usable": [True, True, False]})
ENROL = pd.DataFrame(
    {
        "school_code": ["001", "001", "002", "002", "003"],
        "grade": [1, 7, 1, 2, 1],
        "enrolled": [100, 50, 200, 190, 40],
    }
)


def write(path, text):
    path.write_text("\ufeff" + text, encoding="utf-8")
    return path


def test_absent_file_gives_no_rate(params):
    out = entry_rates(ENROL, RETURNS, None, params)
    assert len(out) == 0 and "rate" in out.columns


def test_population_by_catchment_and_the_district_sum(tmp_path, params):
    f = write(
        tmp_path / "population.csv",
        "片区,学段,适龄人口,学校代码\n城关,小学,300,001\n北岭,小学,500,002|3\n",
    )
    pop = read_population(f)
    assert pop["schools"].tolist() == [("001",), ("002", "003")]
    out = entry_rates(ENROL, RETURNS, pop, params).set_index(["area", "stage"])
    # 城关: grade 1 of 001 (grade 7 is 初中): 100 of 300
    assert out.loc[("城关", "小学"), "rate"] == pytest.approx(100 / 300)
    assert out.loc[("城关", "小学"), "target_status"] == TARGET_MISSED
    # 北岭: 002's grades 1-2 (390); 003 sent no usable return and is named
    assert out.loc[("北岭", "小学"), "enrolled"] == 390
    assert out.loc[("北岭", "小学"), "schools_missing"] == "003"
    # no 全区 row in the file: the catchments' sums, listed first
    assert out.index[0] == ("全区", "小学")
    assert (out.loc[("全区", "小学"), "population"], out.loc[("全区", "小学"), "enrolled"]) == (800, 490)
    assert out.loc[("全区", "小学"), "gap"] == pytest.approx(490 / 800 - 1.0)


def test_above_the_population_has_no_interval_and_meets_the_target(tmp_path, params):
    f = write(tmp_path / "population.csv", "片区,学段,适龄人口,学校代码\n全区,初中,40,\n")
    out = entry_rates(ENROL, RETURNS, read_population(f), params).iloc[0]
    assert out["rate"] == pytest.approx(50 / 40) and pd.isna(out["rate_lo"])
    assert bool(out["met"]) and out["target_status"] == TARGET_MET


@pytest.mark.parametrize(
    "body, message",
    [
        ("城关,高中,300,001", "适龄人口（population.csv）第 2 行：学段“高中”无法识别（应为 小学、初中）"),
        ("城关,小学,3.5,001", "适龄人口（population.csv）第 2 行：适龄人口“3.5”应为正整数"),
        ("城关,小学,300,", "适龄人口（population.csv）第 2 行：片区“城关”没有列出学校代码（多所学校用竖线 | 分隔）"),
    ],
)
def test_a_bad_row_stops_with_its_row(tmp_path, body, message):
    f = write(tmp_path / "population.csv", "片区,学段,适龄人口,学校代码\n" + body + "\n")
    with pytest.raises(OfficeFileError) as e:
        read_population(f)
    assert str(e.value) == message
