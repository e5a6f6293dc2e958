import pytest

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
