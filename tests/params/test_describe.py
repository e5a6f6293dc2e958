"""The appendix's parameter table for readers: every field titled in Chinese, every value in words, no keys."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field

from helpers import REPO, params_with
from tqa.params import SECTIONS, load_params
from tqa.params import models as m
from tqa.params.describe import COLUMNS, describe, missing_titles

TERM = "2023-2"

# ASCII words a reader may see, each with its reason. REML: the standard name of the value-added model's fitting
# method, printed beside its Chinese name (限制性极大似然法) as Chinese statistics texts do.
ALLOWED_WORDS = {"REML"}


@pytest.fixture(scope="module")
def table():
    return describe(load_params(TERM, REPO / "params"))


def row(table, item: str, section: str | None = None):
    hit = table[(table["项目"] == item) & ((table["类别"] == section) if section else True)]
    assert len(hit) == 1, (item, section, hit)
    return hit.iloc[0]


def leaves(params) -> int:
    """A field of a section model (a nested model counts its fields); an entry of a section that is a mapping."""

    def count(cls: type[BaseModel], data: dict) -> int:
        names = {(f.alias or k): k for k, f in cls.model_fields.items()}
        n = 0
        for alias, value in data.items():
            sub = cls.model_fields[names[alias]].annotation
            n += count(sub, value) if isinstance(sub, type) and issubclass(sub, BaseModel) else 1
        return n

    total = 0
    for section, value in params.appendix().items():
        sub = m.Params.model_fields[section].annotation
        total += count(sub, value) if isinstance(sub, type) and issubclass(sub, BaseModel) else len(value)
    return total


# ---- (a) every field titled ---------------------------------------------------------------------------
def test_every_field_of_every_section_has_a_chinese_title_and_description():
    assert missing_titles() == []
    # the walk reaches every model of the params (nested ones included), the sections being Params' fields
    models = {
        c
        for c in vars(m).values()
        if isinstance(c, type) and issubclass(c, BaseModel) and c.__module__ == m.__name__ and c.model_fields
    }
    reached = {m.Params}
    todo = [m.Params]
    while todo:
        for f in todo.pop().model_fields.values():
            for c in re.findall(r"tqa\.params\.models\.(\w+)", repr(f.annotation)):
                if getattr(m, c) not in reached:
                    reached.add(getattr(m, c))
                    todo.append(getattr(m, c))
    assert all(any(issubclass(r, c) for r in reached) for c in models)  # Rule: a base of the overrides
    for section in SECTIONS:
        f = m.Params.model_fields[section]
        assert f.title and f.description, section


def test_a_field_or_a_section_without_a_title_is_caught():
    class Findings(m.Section):
        top_n: int = Field(title="列出的条数", description="每份报告列出的发现条数。")
        attention_max: int
        serious_warnings: int = Field(title="Serious", description="Serious warnings.")

    class WithFindings(m.Section):
        rates: m.Rates = Field(title="一分三率的分数线", description="及格、优秀、低分的分数线。")
        findings: Findings

    assert missing_titles(WithFindings) == [
        "WithFindings.findings",
        "Findings.attention_max",
        "Findings.serious_warnings",
    ]


# ---- (b) one row per leaf, no keys or code words --------------------------------------------------------
def test_one_row_per_leaf_in_the_yaml_order(table):
    p = load_params(TERM, REPO / "params")
    assert list(table.columns) == COLUMNS
    assert len(table) == leaves(p)
    titles = [m.Params.model_fields[s].title for s in SECTIONS]
    assert list(dict.fromkeys(table["类别"])) == titles  # sections in the YAML's order, each in one run
    assert table["项目"].tolist()[:5] == ["小学低段", "小学中段", "小学高段", "初中", "及格线"]
    assert (table != "").all().all()


def reader_problems(table) -> list[str]:
    out = []
    for col in COLUMNS:
        for cell in table[col]:
            words = set(re.findall(r"[A-Za-z_]{3,}", cell)) - ALLOWED_WORDS
            marks = [s for s in ("{", "}", "[", "]", "None", "True", "False", "'", '"') if s in cell]
            if words or marks:
                out.append(f"{col}: {cell}")
    return out


def test_no_keys_code_words_or_reprs_reach_a_reader(table):
    assert reader_problems(table) == []


def test_other_values_read_in_words_too():
    """Values the shipped file does not use: overrides, the optional fit methods, an unset target, ties."""
    p = params_with(
        {
            "rates": {"overrides": [{"band": "初中", "subject": "数学", "low": 0.3}, {"grade": 7, "pass": 0.55}]},
            "valueadded": {"fit_methods": ["default", "powell", "nm", "bfgs", "lbfgs", "cg"]},
            "targets": {"default": {"excellent_rate": None}},
            "ranking": {"rank_by": "excellent_rate", "tie_method": "average"},
            "participation": {"exclude_exempt_from_enrolled": False},
            "borderline": {"margin": 0.005},
            "change": {"status_cuts": {"小学低段": [0.98, 0.95, 0.9, 0.8]}},
        }
    )
    t = describe(p)
    assert reader_problems(t) == []
    assert row(t, "另定的分数线")["取值"] == "初中数学：低分线 30%；七年级：及格线 55%"
    assert row(t, "另加的交叉核对算法")["取值"].startswith("统计软件的默认算法、鲍威尔法、单纯形法")
    assert row(t, "优秀率目标")["取值"] == "不设"
    assert row(t, "排名依据")["取值"] == "优秀率"
    assert row(t, "并列的名次")["取值"].startswith("并列取平均名次")
    assert row(t, "应考人数扣除免考学生")["取值"] == "否"
    assert row(t, "临界范围")["取值"] == "0.5%"
    assert row(t, "现状分级的界值")["取值"].endswith("；小学低段：98%、95%、90%、80%")


# ---- (c) exact values -----------------------------------------------------------------------------------
def test_the_small_cohort_rule_reads_as_a_count(table):
    r = row(table, "公布成绩的最少实考人数")
    assert (r["类别"], r["取值"]) == ("小样本规则", "10")
    assert r["含义"].startswith("实考人数少于此数的学校、班级不公布成绩")
    assert row(table, "参加排名的最少实考人数")["取值"] == "30"


def test_shares_read_as_percentages(table):
    assert row(table, "及格线", "一分三率的分数线")["取值"] == "60%"
    assert row(table, "参考率提示线")["取值"] == "95%"
    assert row(table, "控制限")["取值"] == "95%、99.8%"
    assert row(table, "比率“明显”高低的界值")["取值"] == "10 个百分点"  # a difference of two rates
    assert row(table, "信度的最低值")["取值"] == "0.7"  # a coefficient, not a share
    assert row(table, "分段点")["取值"].startswith("0%、10%、20%")


def test_weights_overrides_and_the_grid_read_in_chinese(table):
    assert row(table, "综合得分的权重")["取值"] == "平均分率 40%、及格率 30%、优秀率 30%、低分率 −10%"
    assert row(table, "备选权重方案")["取值"].startswith("均分为主：平均分率 60%、及格率 20%")
    assert row(table, "另定的目标")["取值"] == (
        "小学低段：及格率目标 90%、优秀率目标 50%；六年级：及格率目标 80%、优秀率目标 30%；"
        "初中：及格率目标 70%、优秀率目标 20%、低分率上限 15%"
    )
    assert row(table, "配色")["取值"] == (
        "很高：黄、绿、蓝、蓝、蓝；高：橙、黄、绿、绿、蓝；中等：橙、橙、黄、绿、绿；低：红、橙、橙、黄、黄；很低：红、红、红、橙、黄"
    )
    assert row(table, "现状分级的界值")["取值"] == "默认：95%、90%、80%、67%；初中：85%、75%、60%、45%"
    assert row(table, "小学低段")["取值"] == "一年级、二年级"
    assert row(table, "排名依据")["取值"] == "平均分"
    assert row(table, "比较的指标")["取值"] == "及格率"
    assert row(table, "并列的名次")["取值"].startswith("并列取最小名次")
    assert row(table, "应考人数扣除免考学生")["取值"] == "是"
    assert row(table, "另定的分数线")["取值"] == "无"
    assert row(table, "公开版去掉的列")["取值"] == "最低分、最高分"
    assert row(table, "区分度分档")["取值"].startswith("0.4 及以上为很好；")


def test_derived_values_say_what_they_follow(table):
    r = row(table, "公开版分档的最少实考人数")
    assert r["取值"] == "10" and "“小样本规则”中的公布成绩的最少实考人数" in r["含义"]
    assert "平均分“明显”高低的界值" in row(table, "公开版“明显”高低的界值")["含义"]
