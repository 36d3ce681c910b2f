"""The trade routes for the reliability matrix (``tests/reliability``) — 权限矩阵中的国际贸易路由.

The matrix requires every page and API operation to be classified. The trade app's entries live
here, beside the code they describe; the matrix's owner merges them with three lines::

    # tests/reliability/world.py, at the end of build_world() before ``return``:
    from zimao.trade.tests.reliability_policy import trade_world
    refs.update(trade_world(users))

    # tests/reliability/policy.py, at the end:
    import sys
    from zimao.trade.tests import reliability_policy as _trade
    PAGES.update(_trade.pages(sys.modules[__name__])); API.update(_trade.api(sys.modules[__name__]))

No role of the matrix is an issuing-body reviewer, so the issuing desk and the decisions are
FORBIDDEN for all of them (the desk's own tests cover the reviewers of 贸促会 and 海关). Officials
(the zone administrator, staff) read every certificate and declaration; an exporter only its own;
anyone else gets "not found".
"""

from __future__ import annotations

import datetime as dt


def trade_world(users: dict) -> dict:
    """Trade objects of applicant A, with their references (``Ref`` names ``trade_*``)."""
    from django.utils import timezone

    from zimao.trade import demo, services
    from zimao.trade.models import ExchangeRate
    from zimao.trade.tests.trade_helpers import application, chair_bom
    from zimao.trade.window import services as window

    demo.load(password="matrix-password-1", applicant_username=users["applicant"].username)
    from django.contrib.auth import get_user_model

    User = get_user_model()
    coo, customs = User.objects.get(username="reviewer_coo"), User.objects.get(username="reviewer_customs")
    a = users["applicant"]
    uscc = services.exporters_of(a)[0].uscc
    ExchangeRate.objects.get_or_create(
        currency="USD", month=timezone.localdate().replace(day=1), defaults={"cny_per_unit": "7.1", "source": "matrix"}
    )
    check = services.check_origin(a, chair_bom())["check_id"]
    submitted = services.apply(a, application(uscc))
    issued = services.issue(services.apply(a, application(uscc)).reference, coo)
    copy_requested = services.request_true_copy(a, issued.number, "lost in the mail")
    copy_issued = services.issue_true_copy(services.request_true_copy(a, issued.number, "destroyed").reference, coo)
    exporter = services.authorise_exporter(
        customs,
        uscc=uscc,
        name_en="Luoyang Zhimao Co., Ltd.",
        address_en="No. 1 Tianjin Road, Luoyang",
        hs_chapters=["94"],
    )
    declaration = services.complete_declaration(a, _declaration_body(exporter.code))
    sw = window.declare(a, _sw_body(uscc, timezone.localdate() + dt.timedelta(days=3)))
    return {
        "trade_check": check,
        "trade_submitted": submitted.reference,
        "trade_issued": issued.reference,
        "trade_number": issued.number,
        "trade_copy_requested": copy_requested.reference,
        "trade_copy_issued": copy_issued.reference,
        "trade_ae_code": exporter.code,
        "trade_doo": declaration.reference,
        "trade_sw": sw.number,
        "trade_uscc": uscc,
    }


def _declaration_body(code: str) -> dict:
    from zimao.trade.tests.trade_helpers import chair_bom

    return {
        "authorisation_code": code,
        "currency": "USD",
        "signatory": "Li Ming",
        "importer": {"name": "Seoul Living Co.", "address": "1 Sejong-daero, Seoul", "country": "KR"},
        "goods": [
            {
                "bom": chair_bom(),
                "description": "Oak chairs",
                "packages": "10 CARTONS",
                "quantity": "100",
                "unit": "PCS",
                "fob_value": "10000.00",
            }
        ],
    }


def _sw_body(uscc: str, departure: dt.date) -> dict:
    return {
        "trader_uscc": uscc,
        "destination_country": "JP",
        "consignee": {"name": "Osaka Furniture K.K.", "address": "1-1 Umeda, Osaka"},
        "transport": {
            "mode": "sea",
            "departure_date": departure.isoformat(),
            "vessel": "COSCO HARMONY",
            "port_of_loading": "Qingdao",
            "port_of_discharge": "Osaka",
        },
        "currency": "USD",
        "invoice": {"number": "ZM-1", "date": departure.isoformat()},
        "goods": [{"hs": "940360", "description": "Oak chairs", "quantity": "500", "unit": "PCS", "value": "50000"}],
    }


def pages(p) -> dict:
    Check, expect, Ref = p.Check, p.expect, p.Ref
    OK, LOGIN, FORBIDDEN, HIDDEN, METHOD = p.OK, p.LOGIN, p.FORBIDDEN, p.HIDDEN, p.METHOD
    public, signed_in = expect(OK), expect(OK, anon=LOGIN)
    own = expect(HIDDEN, anon=LOGIN, applicant=OK)  # A's alone (a saved check)
    own_or_official = expect(HIDDEN, anon=LOGIN, applicant=OK, admin=OK)  # A's certificate: A and officials
    desk = expect(FORBIDDEN, anon=LOGIN)  # issuing-body reviewers only
    officials = expect(FORBIDDEN, anon=LOGIN, admin=OK)
    exporters = expect(FORBIDDEN, anon=LOGIN, applicant=OK, applicant2=OK)  # who acts for a company (B has one)
    post_only = expect(METHOD, anon=LOGIN)
    sub, iss = {"reference": Ref("trade_submitted")}, {"reference": Ref("trade_issued")}
    return {
        "trade:home": [Check(public)],
        "trade:verify_form": [Check(public), Check(public, query={"number": Ref("trade_number")})],
        "trade:verify": [Check(public, args={"number": Ref("trade_number")})],
        "trade:origin_check": [Check(signed_in)],
        "trade:origin_result": [Check(own, args={"pk": Ref("trade_check")})],
        "trade:certificates": [Check(signed_in)],
        "trade:certificate_apply": [Check(own, query={"check": Ref("trade_check")})],
        "trade:certificate": [Check(own_or_official, args=sub), Check(own_or_official, args=iss)],
        "trade:certificate_pdf": [Check(own_or_official, args=iss)],
        "trade:certificate_withdraw": [
            Check(own, "POST", args=sub, data={"reason": "no longer needed"}),
            Check(post_only, args=sub),
        ],
        "trade:true_copy_request": [Check(own, "POST", args=iss, data={"reason": "lost"}), Check(post_only, args=iss)],
        "trade:true_copy_pdf": [Check(own_or_official, args={"reference": Ref("trade_copy_issued")})],
        "trade:declaration_pdf": [Check(own_or_official, args={"reference": Ref("trade_doo")})],
        "trade:desk": [Check(desk)],
        "trade:desk_review": [Check(desk, args=sub)],
        "trade:desk_issue": [Check(desk, "POST", args=sub, data={})],
        "trade:desk_refuse": [Check(desk, "POST", args=sub, data={"reason": "no"})],
        "trade:desk_true_copy": [Check(desk, "POST", args={"reference": Ref("trade_copy_requested")}, data={})],
        "trade:statistics": [Check(officials)],
        "trade:declarations": [Check(signed_in)],
        "trade:declaration_new": [Check(exporters)],
        "trade:declaration": [Check(own_or_official, args={"number": Ref("trade_sw")})],
        "trade:declaration_status": [Check(own_or_official, args={"number": Ref("trade_sw")})],
    }


def api(p) -> dict:
    from zimao.trade.tests.trade_helpers import application, chair_bom

    Check, expect, Ref = p.Check, p.expect, p.Ref
    OK, LOGIN, FORBIDDEN, HIDDEN = p.OK, p.LOGIN, p.FORBIDDEN, p.HIDDEN
    public, signed_in = expect(OK), expect(OK, anon=LOGIN)
    own = expect(HIDDEN, anon=LOGIN, applicant=OK)
    own_or_official = expect(HIDDEN, anon=LOGIN, applicant=OK, admin=OK)
    issuers = expect(FORBIDDEN, anon=LOGIN)  # issuing bodies / customs only: no matrix role is one
    officials = expect(FORBIDDEN, anon=LOGIN, admin=OK)
    base = "/api/v1/trade"
    sub = {"reference": Ref("trade_submitted")}
    number = {"number": Ref("trade_number")}
    # Someone else applying for A's company is refused on the merits (422 not_your_company):
    # that counts as let in, the gate being "signed in".
    app_body = application(Ref("trade_uscc"))
    return {
        f"POST {base}/origin/check": [Check(signed_in, "POST", data={"bom": chair_bom()})],
        f"GET {base}/certificates": [Check(signed_in)],
        f"POST {base}/certificates": [Check(signed_in, "POST", data=app_body)],
        f"GET {base}/certificates/queue": [Check(issuers)],
        f"GET {base}/certificates/{{key}}": [
            Check(own_or_official, args={"key": Ref("trade_submitted")}),
            Check(own_or_official, args={"key": Ref("trade_number")}),
        ],
        f"POST {base}/certificates/{{reference}}/issue": [Check(issuers, "POST", args=sub, data={})],
        f"POST {base}/certificates/{{reference}}/refuse": [Check(issuers, "POST", args=sub, data={"reason": "no"})],
        f"POST {base}/certificates/{{reference}}/withdraw": [Check(own, "POST", args=sub, data={})],
        f"POST {base}/certificates/{{number}}/invalidate": [Check(issuers, "POST", args=number, data={"reason": "x"})],
        f"POST {base}/certificates/{{number}}/true-copies": [Check(own, "POST", args=number, data={"reason": "lost"})],
        f"POST {base}/true-copies/{{reference}}/issue": [
            Check(issuers, "POST", args={"reference": Ref("trade_copy_requested")}, data={})
        ],
        f"POST {base}/true-copies/{{reference}}/refuse": [
            Check(issuers, "POST", args={"reference": Ref("trade_copy_requested")}, data={"reason": "no"})
        ],
        f"GET {base}/verify/{{number}}": [Check(public, args=number)],
        f"GET {base}/approved-exporters": [Check(signed_in)],
        f"POST {base}/approved-exporters": [
            Check(
                issuers,
                "POST",
                data={"uscc": Ref("trade_uscc"), "name_en": "X Co.", "address_en": "Luoyang", "hs_chapters": ["94"]},
            )
        ],
        f"POST {base}/approved-exporters/{{code}}/status": [
            Check(issuers, "POST", args={"code": Ref("trade_ae_code")}, data={"status": "suspended", "reason": "audit"})
        ],
        f"GET {base}/declarations-of-origin": [Check(signed_in)],
        f"POST {base}/declarations-of-origin": [
            Check(
                expect(FORBIDDEN, anon=LOGIN, applicant=OK),
                "POST",
                data={**_declaration_body("X"), "authorisation_code": Ref("trade_ae_code")},
            )
        ],
        f"GET {base}/statistics": [Check(officials, query={"start": "2026-01-01", "end": "2026-12-31"})],
        f"POST {base}/declarations": [
            Check(signed_in, "POST", data={**_sw_body("X", dt.date(2026, 12, 1)), "trader_uscc": Ref("trade_uscc")})
        ],
        f"GET {base}/declarations": [Check(signed_in)],
        f"GET {base}/declarations/{{number}}": [Check(own_or_official, args={"number": Ref("trade_sw")})],
    }
