"""Words and formats readers see (tqa.reports.labels)."""

from __future__ import annotations

from tqa.reports import labels


def test_no_negative_zero_and_signs_kept_elsewhere():
    assert [labels.signed(v) for v in (-0.04, 0.04, -0.06, 1.26, float("nan"))] == ["0.0", "0.0", "-0.1", "+1.3", "—"]
    assert labels.signed(-0.001, 2) == "0.00"
    assert labels.interval_text([-0.001], [-0.2], [-0.004], "{:+.2f}") == ["0.00（-0.20–0.00）"]
    # rates as percentages with one decimal everywhere (a pass rate never prints as a bare "98")
    assert labels.interval_text([0.988], [0.98], [0.993], "{:.1f}%", 100) == ["98.8%（98.0%–99.3%）"]


def test_every_rank_says_what_it_ranks_and_public_bands_name_the_district():
    assert labels.rank_labels("mean") == {
        "rank_district": "平均分名次（全区）",
        "rank_category": "平均分名次（同类学校）",
    }
    assert labels.rank_labels("pass_rate")["rank_district"] == "及格率名次（全区）"
    assert labels.band_words(["明显高于", "持平", "样本较小"], public=True) == [
        "明显高于全区",
        "与全区相当",
        "样本较小",
    ]
    assert labels.band_words(["明显高于"], public=False) == ["明显高于"]
    assert labels.LABELS["enrolled"] == "在籍" and labels.LABELS["participation_denominator"] == "应考"
