"""学生体质健康 (《国家学生体质健康标准（2014年修订）》): levels, rates, coverage, targets, equity, trend."""
