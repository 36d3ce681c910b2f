"""Company names (企业名称): 行政区划 + 字号 + 行业 + 组织形式, e.g. 郑州 + 智远 + 科技 + 有限公司.

Forbidden words are refused at submission (企业名称登记管理规定 art. 11); words that need an
officer's judgement (集团, 控股, 国际 …) keep the case out of straight-through approval.
"""

from __future__ import annotations

import re

from zimao.core import divisions

# Content a name may not contain at all.
FORBIDDEN = (
    "中国",
    "中华",
    "全国",
    "国家",
    "政府",
    "共产党",
    "人民代表",
    "军队",
    "部队",
    "警察",
    "公安",
    "联合国",
    "赌博",
    "色情",
    "毒品",
    "恐怖",
)
# Content an officer must look at: it implies a scale or authority that must be substantiated.
SENSITIVE = ("国际", "集团", "控股", "中心", "研究院", "交易所", "银行", "保险", "证券", "基金", "金融", "投资")
TRADE_NAME_RE = re.compile(r"^[\u4e00-\u9fff]{2,8}$")

INDUSTRIES = [
    ("科技", "科技", "Technology"),
    ("智能装备", "智能装备", "Intelligent equipment"),
    ("电子", "电子", "Electronics"),
    ("新能源", "新能源", "New energy"),
    ("新材料", "新材料", "New materials"),
    ("生物医药", "生物医药", "Biomedicine"),
    ("贸易", "贸易", "Trading"),
    ("物流", "物流", "Logistics"),
    ("餐饮管理", "餐饮管理", "Catering"),
    ("信息技术", "信息技术", "Information technology"),
    ("机器人", "机器人", "Robotics"),
    ("氢能", "氢能", "Hydrogen energy"),
]
ORG_FORMS = [
    ("有限公司", "有限公司", "Co., Ltd."),
    ("有限责任公司", "有限责任公司", "Limited liability company"),
    ("股份有限公司", "股份有限公司", "Company limited by shares"),
]


def division_prefix(code: str) -> str:
    """The place name a company name starts with: the prefecture, without 市 (郑州)."""
    path = divisions.path(code)
    city = next((d for d in path if d.level == 2), None) or (path[-1] if path else None)
    if city is None:
        return ""
    label = city.name_zh if hasattr(city, "name_zh") else city.name
    for suffix in ("市", "地区", "自治州", "盟"):
        if label.endswith(suffix) and len(label) > len(suffix) + 1:
            return label[: -len(suffix)]
    return label


def compose(division: str, trade_name: str, industry: str, org_form: str) -> str:
    return f"{division_prefix(division)}{trade_name}{industry}{org_form}"


def forbidden_words(*parts: str) -> list[str]:
    text = "".join(parts)
    return [w for w in FORBIDDEN if w in text]


def sensitive_words(*parts: str) -> list[str]:
    text = "".join(parts)
    return [w for w in SENSITIVE if w in text]
