"""The exam results' measures (学业成绩): 一分三率, 总分 (total score), relative standing, score bands, composite,
students, targets, change, trend, funnel, value-added, item analysis."""
