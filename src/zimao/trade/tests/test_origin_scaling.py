"""The origin engine stays linear in the size of the bill — 判定耗时随物料数线性增长 — also when
the good fails and the engine looks for a single material whose sourcing would make it qualify."""

from __future__ import annotations

from zimao.trade.origin import determine, engine


def failing_bill(n: int) -> dict:
    materials = []
    for i in range(n):
        if i % 2:
            materials.append(
                {
                    "description": f"legs {i}",
                    "hs": "940390",
                    "country": "DE",
                    "originating": False,
                    "value": f"{2 + i % 7}.00",
                }
            )
        else:
            materials.append(
                {"description": f"oak {i}", "hs": "440791", "country": "TH", "originating": True, "value": "0.50"}
            )
    return {
        "hs_version": "HS2012",
        "rule": "CTH or RVC40",
        "product": {"hs": "940360", "fob": str(n * 3), "currency": "USD", "country": "CN", "operations": ["assembly"]},
        "materials": materials,
    }


def test_whole_bill_evaluations_are_bounded(monkeypatch):
    calls = []
    real = engine._evaluate
    monkeypatch.setattr(engine, "_evaluate", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    for n in (20, 400):
        calls.clear()
        result = determine(failing_bill(n))
        assert not result.originating and result.to_qualify
        # Two evaluations of the bill, plus at most SWITCH_TRIALS single-material trials.
        assert len(calls) <= 2 + engine.SWITCH_TRIALS, (n, len(calls))


def test_the_largest_materials_are_the_ones_tried():
    bill = failing_bill(400)
    # One non-originating material dominates: sourcing it alone closes the RVC40 gap
    # (VNM 1,994 → 994, within 60% of FOB 2,000), and it is among the largest tried.
    bill["materials"][1]["value"] = "1000.00"
    bill["product"]["fob"] = "2000"
    result = determine(bill)
    switches = [h for h in result.to_qualify if h["kind"] == "source_from_party"]
    assert [h["material"] for h in switches] == [1]
