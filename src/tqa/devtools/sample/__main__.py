"""python -m tqa.devtools.sample --out data/raw --schools 40 --seed 2023 --terms 2023-1,2023-2 [--clean]"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqa.devtools.sample import DEFAULT_SCHOOLS, DEFAULT_SEED, DEFAULT_TERMS, defects_json, generate_district


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tqa.devtools.sample", description="生成样例学区的学校报表（可复现）")
    ap.add_argument("--out", default="data/raw", help="输出目录（其下每个学期一个子目录）")
    ap.add_argument("--schools", type=int, default=DEFAULT_SCHOOLS, help="学校数（1-999）")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机种子")
    ap.add_argument("--terms", default=",".join(DEFAULT_TERMS), help="学期，逗号分隔，如 2023-1,2023-2")
    ap.add_argument("--clean", action="store_true", help="不注入数据问题（规范报表）")
    ap.add_argument("--jobs", type=int, default=None, help="并行写文件的进程数")
    ap.add_argument("--defects-json", default=None, help="把注入的问题清单写到此 JSON 文件")
    a = ap.parse_args(argv)
    if not 1 <= a.schools <= 999:
        print("错误：学校数应在 1-999 之间", file=sys.stderr)
        return 2
    terms = tuple(t.strip() for t in a.terms.split(",") if t.strip())
    t0 = time.perf_counter()
    try:
        s = generate_district(a.out, a.schools, a.seed, terms, messy=not a.clean, jobs=a.jobs)
    except ValueError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    if a.defects_json:
        Path(a.defects_json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.defects_json).write_text(defects_json(s["defects"]), encoding="utf-8")
    for term in s["terms"]:
        print(
            f"{term}: {s['files'][term]} 个学校报表，{s['students'][term]} 名学生，"
            f"{s['bytes'][term] / 1e6:.1f} MB -> {Path(a.out) / term}"
        )
    print(f"注入数据问题 {len(s['defects'])} 处；用时 {time.perf_counter() - t0:.1f} 秒")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
