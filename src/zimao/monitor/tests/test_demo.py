"""The Luoyang demo reproduces the zone report's figures exactly, each with its section."""

import json
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from zimao.monitor import readout, uscc
from zimao.monitor.demo import data, load_demo
from zimao.monitor.models import (
    Chain,
    Enterprise,
    Indicator,
    IndicatorValue,
    Industry,
    InnovationOutcome,
    PilotTask,
    Project,
    TalentProgramme,
    Target,
)
from zimao.monitor.periods import parse

pytestmark = pytest.mark.django_db


def obs(code, period, dimension=""):
    return IndicatorValue.objects.get(indicator__code=code, period_key=parse(period).key, dimension=dimension)


def test_load_demo_is_idempotent():
    first = load_demo()
    counts = [
        m.objects.count()
        for m in (
            IndicatorValue,
            Target,
            Industry,
            Enterprise,
            Chain,
            Project,
            InnovationOutcome,
            PilotTask,
            TalentProgramme,
        )
    ]
    stamps = list(IndicatorValue.objects.order_by("pk").values_list("updated_at", flat=True))
    assert first > 100
    assert load_demo() == 0
    assert counts == [
        m.objects.count()
        for m in (
            IndicatorValue,
            Target,
            Industry,
            Enterprise,
            Chain,
            Project,
            InnovationOutcome,
            PilotTask,
            TalentProgramme,
        )
    ]
    assert stamps == list(IndicatorValue.objects.order_by("pk").values_list("updated_at", flat=True))


@pytest.mark.parametrize(
    "code,period,value,section,dimension",
    [
        ("market.entities_total", "..2022-06-30", "38700", "一、（二）", ""),
        ("market.new_entities", "..2022-06-30", "16700", "一、（二）", ""),
        ("market.new_entities", "2022-01..2022-06", "1990", "一、（二）", ""),
        ("market.enterprises_total", "..2022-06-30", "20400", "一、（二）", ""),
        ("openness.fdi_actual", "..2022-06-30", "27.33", "一、（二）", ""),
        ("openness.fdi_actual", "2022-01..2022-06", "4.29", "一、（二）", ""),
        ("trade.import_export", "..2022-06-30", "282.78", "一、（二）", ""),
        ("trade.import_export_multiple", "..2022-06-30", "19.53", "一、（二）", ""),
        ("trade.rcep_certificates", "2022-01..2022-06", "317", "一、（二）一是", ""),
        ("trade.rcep_fob_value", "2022-01..2022-06", "1.62", "一、（二）一是", ""),
        ("tiers.high_tech", "2022-06-30", "375", "一、（三）", ""),
        ("tiers.tech_smes", "2022-06-30", "623", "一、（三）", ""),
        ("innovation.national_platforms", "2022-06-30", "13", "一、（三）", "research_institutes"),
        ("innovation.incubator_area", "2022-06-30", "91.15", "一、（三）", ""),
        ("industry.output", "2022-01..2022-05", "35.8", "一、（三）", "smart_equipment"),
        ("industry.output", "2022-01..2022-05", "87.3", "一、（三）", "electronics"),
        ("industry.output", "2022-01..2022-05", "47.7", "一、（三）", "new_energy_materials"),
        ("industry.output", "2022-01..2022-05", "2.2", "一、（三）", "biomedicine"),
        ("reform.innovation_outcomes_total", "..2022-06-30", "192", "一、（一）", ""),
        ("reform.innovation_outcomes", "2022-01..2022-06", "11", "一、（一）", ""),
        ("bonded.declarations", "..2022-06-30", "6", "一、（四）", ""),
        ("bonded.signed_investment", "2022-06-30", "28", "一、（四）", ""),
        ("bonded.potential_trade", "2022-06-30", "83.5", "一、（四）", ""),
    ],
)
def test_report_figures(demo, code, period, value, section, dimension):
    v = obs(code, period, dimension)
    assert v.value == Decimal(value) and v.section == section


def test_headline_displays_as_the_report_writes_them(demo):
    def latest(code):
        return readout.latest(Indicator.objects.get(code=code))

    assert (
        readout.display(
            readout.value_for(Indicator.objects.get(code="market.entities_total"), parse("..2022-06-30")), "zh-hans"
        )
        == "3.87万"
    )
    assert readout.display(latest("market.new_entities"), "zh-hans") == "1990"
    assert readout.display(latest("trade.rcep_certificates"), "zh-hans") == "317"
    assert readout.display(latest("trade.rcep_fob_value"), "zh-hans") == "超过1.62"
    assert readout.display(latest("trade.rcep_fob_value"), "en") == "over 1.62"
    assert readout.display(latest("permits.on_licence"), "zh-hans") == "近20"


def test_industry_outputs_with_growth_as_published(demo):
    from zimao.monitor import picture

    rows = {r["key"]: r for r in picture.industry_output("zh-hans")["rows"]}
    assert {k: (r["value"], r["yoy"]) for k, r in rows.items()} == {
        "smart_equipment": (35.8, 9.9),
        "electronics": (87.3, 16.2),
        "new_energy_materials": (47.7, 48.4),
        "biomedicine": (2.2, None),  # the report gives no growth for biomedicine
    }
    assert {r["yoy_source"] for k, r in rows.items() if k != "biomedicine"} == {"published"}
    assert "中航光电" in rows["electronics"]["enterprises"]
    assert rows["biomedicine"]["role"] == "+1"


def test_targets_from_the_report(demo):
    t = Target.objects.get(indicator__code="tiers.high_tech")
    assert (t.value, t.comparison, str(t.deadline), t.section) == (400, "gt", "2022-12-31", "三、（四）二是")
    assert Target.objects.get(indicator__code="tiers.tech_smes").value == 750
    assert Target.objects.get(indicator__code="reform.innovation_outcomes").value == 20
    assert Target.objects.get(indicator__code="registry.establishment_p90_hours").value == 24
    assert Target.objects.get(indicator__code="registry.establishment_fastest_minutes").value == 60
    hi = readout.indicator_dict(Indicator.objects.get(code="tiers.high_tech"), language="zh-hans")
    assert hi["latest"]["value"] == 375 and hi["target"]["value"] == 400 and hi["target"]["met"] is False


def test_picture_industries_chains_projects_ledgers(demo):
    assert Industry.objects.filter(group="lead").count() == 4
    assert list(Industry.objects.filter(group="cluster").values_list("name_zh", flat=True)) == [
        "工业机器人",
        "特种机器人",
        "服务机器人",
        "光电连接器及核心零部件",
        "硅半导体及新一代信息技术",
        "储能",
        "氢能",
        "生物医药",
    ]
    assert Enterprise.objects.count() == 10
    for e in Enterprise.objects.all():
        assert e.uscc_is_demo and uscc.is_valid(e.uscc) and e.uscc.startswith("91410300MA")
    from zimao.monitor import picture

    chains = {c["key"]: c for c in picture.chains("zh-hans")}
    assert len(chains) == 8
    assert chains["silicon"]["links"][0]["enterprises"] == ["麦斯克"]
    assert "燃料电池电堆与系统" in chains["hydrogen"]["gaps"]
    assert Project.objects.filter(kind="key").count() == 3
    assert set(Project.objects.filter(kind="signed", year=2022).values_list("name_zh", flat=True)) >= {
        "360中部数字安全产业基地",
        "东旭氢能汽车产业园",
        "中西部节能降碳产业园",
    }
    best = InnovationOutcome.objects.get(level="national_best")
    assert "四链融合" in best.title_zh and best.section == "一、（一）"
    assert InnovationOutcome.objects.get(level="province_first", year=2022).count == 8
    national = PilotTask.objects.get(level="national", status="implemented")
    assert (national.items, national.batches) == (278, 6)
    assert PilotTask.objects.get(level="provincial", status="implemented").items == 160
    assert TalentProgramme.objects.get(name_zh="“河洛英才计划”团队").count == 9
    assert sum(TalentProgramme.objects.values_list("count", flat=True)) == 9 + 10 + 4 + 2 + 2 + 2 + 4 + 3 + 3


def test_every_demo_figure_names_its_section_and_source_words():
    for row in data()["values"]:
        assert re.match(r"^[一二三]、", row["section"]), row
        assert row["note"], row  # the report's own words beside the figure
    notes = " ".join(r["note"] for r in data()["values"])
    for words in ("3.87万家", "1990家", "317份", "1.62亿元", "高新技术企业375家", "35.8亿元", "同比增长48.4%"):
        assert words in notes


def test_indicators_command_json(demo):
    out = StringIO()
    call_command("indicators", "--json", stdout=out)
    rows = {r["code"]: r for r in json.loads(out.getvalue())}
    assert len(rows) == Indicator.objects.count()
    hi = rows["tiers.high_tech"]
    assert hi["unit_zh"] == "家" and hi["source"] == "reported"
    assert hi["latest"]["value"] == 375 and hi["latest"]["period"] == "2022-06-30"
    assert hi["target"]["value"] == 400 and hi["target"]["deadline"] == "2022-12-31"
    assert rows["market.new_entities"]["latest"]["value"] == 1990
    assert rows["market.new_entities"]["source"] == "computed"
    out = StringIO()
    call_command("indicators", stdout=out)
    assert "tiers.high_tech" in out.getvalue()
