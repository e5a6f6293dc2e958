from pathlib import Path

import pytest

from tqa.params import grade_band, load_params, params_hash, rate_thresholds
from tqa.core.terms import TermError, parse_term, require_term


def test_parse_term_and_labels():
    t = parse_term("2023-2")
    assert (t.year, t.semester) == (2023, 2)
    assert t.label == "2023-2024学年第二学期"
    assert parse_term("2023-1").label == "2023-2024学年第一学期"
    assert t.previous().name == "2023-1"
    assert parse_term("2023-1").previous().name == "2022-2"


@pytest.mark.parametrize("bad", ["2023", "2023-3", "23-1", "2023_2", "", "2023-2-1"])
def test_malformed_term_says_what_is_expected(bad, tmp_path):
    (tmp_path / "2023-1").mkdir()
    with pytest.raises(TermError) as e:
        require_term(bad, tmp_path)
    msg = str(e.value)
    assert "2023-1（秋季）" in msg and "已有的学期：2023-1" in msg
    assert "\n" not in msg


def test_unknown_term_lists_existing(tmp_path):
    (tmp_path / "2023-1").mkdir()
    (tmp_path / "2023-2").mkdir()
    with pytest.raises(TermError, match="2024-1 没有数据.*已有的学期：2023-1、2023-2"):
        require_term("2024-1", tmp_path)
    assert require_term("2023-2", tmp_path).name == "2023-2"


def _params_dir(tmp_path, default: str, term: str | None = None) -> Path:
    (tmp_path / "terms").mkdir()
    (tmp_path / "methodology.yaml").write_text(default, encoding="utf-8")
    if term is not None:
        (tmp_path / "terms" / "2023-2.yaml").write_text(term, encoding="utf-8")
    return tmp_path


DEFAULT = """
grade_bands: {低段: [1, 2], 初中: [7, 8, 9]}
rates:
  default: {pass: 0.6, excellent: 0.85, low: 0.4}
  overrides:
    - {band: 低段, excellent: 0.9}
    - {band: 初中, subject: 数学, low: 0.3}
"""


def test_threshold_overrides_by_band_and_subject(tmp_path):
    p = load_params("2023-2", _params_dir(tmp_path, DEFAULT))
    assert rate_thresholds(1, "语文", p) == {"pass": 0.6, "excellent": 0.9, "low": 0.4}
    assert rate_thresholds(8, "数学", p) == {"pass": 0.6, "excellent": 0.85, "low": 0.3}
    assert rate_thresholds(8, "语文", p) == {"pass": 0.6, "excellent": 0.85, "low": 0.4}
    assert grade_band(5, p) is None


def test_term_file_overrides_and_changes_hash(tmp_path):
    d = _params_dir(tmp_path, DEFAULT)
    before = params_hash("2023-2", d)
    (d / "terms" / "2023-2.yaml").write_text("rates:\n  default: {pass: 0.5}\n", encoding="utf-8")
    p = load_params("2023-2", d)
    assert p["rates"]["default"] == {"pass": 0.5, "excellent": 0.85, "low": 0.4}
    assert params_hash("2023-2", d) != before
    assert load_params("2023-1", d)["rates"]["default"]["pass"] == 0.6


def test_shipped_params_defaults():
    p = load_params("2023-2", Path(__file__).resolve().parents[1] / "params")
    assert p["rates"]["default"] == {"pass": 0.60, "excellent": 0.85, "low": 0.40}


def test_step_stamp_is_rewritten_only_when_its_sections_change(tmp_path):
    import os

    from tqa.params import load_step_params, write_step_stamp

    d = tmp_path / "params"
    (d / "terms").mkdir(parents=True)
    (d / "methodology.yaml").write_text("checks:\n  tested_over_enrolled_tolerance: 0\nrates:\n  x: 1\n",
                                        encoding="utf-8")
    out = tmp_path / "stamp.json"
    assert write_step_stamp("2023-2", "checks", out, d) is True
    assert load_step_params("2023-2", "checks", d) == {"checks": {"tested_over_enrolled_tolerance": 0}}
    os.utime(out, ns=(1, 1))
    (d / "methodology.yaml").write_text("checks:\n  tested_over_enrolled_tolerance: 0\nrates:\n  x: 2\n",
                                        encoding="utf-8")
    assert write_step_stamp("2023-2", "checks", out, d) is False       # rates are not the checks' business
    assert out.stat().st_mtime_ns == 1
    (d / "terms" / "2023-2.yaml").write_text("checks:\n  tested_over_enrolled_tolerance: 3\n", encoding="utf-8")
    assert write_step_stamp("2023-2", "checks", out, d) is True        # a term override of its own section
    assert '"tested_over_enrolled_tolerance": 3' in out.read_text(encoding="utf-8")
    assert load_step_params("2023-2", "clean", d) == {}
