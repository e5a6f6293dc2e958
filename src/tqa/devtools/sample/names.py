"""Fictional names: the district, its towns and schools, students and staff.

Everything is drawn from fixed pools with a seeded generator, so names are reproducible.
"""

from __future__ import annotations

import numpy as np

DISTRICT = "清河区"

# Two-character place names for towns (镇) and townships (乡); combined to make more when needed.
_PLACE_FIRST = "东西南北柳桃杏梨枣松柏杨槐竹梅兰荷石泉溪河湖山岭坡塘湾桥林田"
_PLACE_SECOND = "庄集店铺营屯寨堡口坪岗洼沟埠湾"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_CHARS = (
    "子涵欣怡梓轩浩宇雨萱一诺思远佳琪俊杰宇轩梓萱可馨博文晨曦嘉怡睿泽雅琪天佑若曦明轩紫涵"
    "诗涵皓轩子墨梦琪欣妍铭泽雨彤昊然晓彤瑞霖俊熙静怡家豪文博宏伟建华玉兰秀英志强丽娟海燕"
)
ORDINALS = (
    "一",
    "二",
    "三",
    "四",
    "五",
    "六",
    "七",
    "八",
    "九",
    "十",
    "十一",
    "十二",
    "十三",
    "十四",
    "十五",
    "十六",
    "十七",
    "十八",
    "十九",
    "二十",
)


def place_names(n: int, rng: np.random.Generator) -> list[str]:
    """n distinct two-character place names, in a seeded order."""
    pool = [a + b for a in _PLACE_FIRST for b in _PLACE_SECOND if a != b]
    idx = rng.permutation(len(pool))[:n]
    if n > len(pool):
        raise ValueError("too many places")
    return [pool[i] for i in idx]


def person_names(n: int, rng: np.random.Generator) -> np.ndarray:
    """n Chinese personal names (2 or 3 characters); duplicates happen, as in life."""
    sur = np.array(list(SURNAMES))[rng.integers(0, len(SURNAMES), n)]
    chars = np.array(list(GIVEN_CHARS))
    g1 = chars[rng.integers(0, len(chars), n)]
    g2 = chars[rng.integers(0, len(chars), n)]
    two = rng.random(n) < 0.25
    given = np.where(two, g1, np.char.add(g1, g2))
    return np.char.add(sur, given).astype(object)


def ordinal(k: int) -> str:
    return ORDINALS[k - 1] if k <= len(ORDINALS) else str(k)
