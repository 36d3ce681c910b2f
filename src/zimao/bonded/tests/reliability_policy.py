"""The bonded-zone routes for the permission matrix (``tests/reliability``) — 权限矩阵中的综保区路由.

Applicant A is the operator of a bonded enterprise with one book, a list and a release note. No
role of the matrix is a customs officer or a gate keeper, so reviewing, the customs queue and the
gate are FORBIDDEN for all of them (the bonded tests cover those roles); A's book, lists, notes
and reconciliation are A's alone — anyone else gets "not found", the zone administrator included
(the administration sees aggregated figures on the dashboard only).
"""

from __future__ import annotations


def bonded_world(users: dict) -> dict:
    from django.contrib.auth import get_user_model

    from zimao.bonded import services as bonded
    from zimao.core.identifiers import issue_uscc

    customs = get_user_model().objects.create_user("matrix_bonded_customs", password="matrix-password-1")
    from django.contrib.auth.models import Group

    from zimao.bonded.access import CUSTOMS_GROUP

    customs.groups.add(Group.objects.get_or_create(name=CUSTOMS_GROUP)[0])
    ent = bonded.register_enterprise(
        customs,
        uscc=issue_uscc("410300"),
        customs_code="4101349999",
        name="矩阵综保企业",
        operators=[users["applicant"]],
    )
    book = bonded.open_book(customs, enterprise=ent, kind="T", warehouse="矩阵仓库", customs_district="4101")
    item = bonded.add_item(
        customs,
        book,
        {
            "part_no": "M-1",
            "hs_code": "3902100000",
            "description": "粒料",
            "unit": "035",
            "unit_price": "1.2",
            "currency": "USD",
            "origin_country": "116",
        },
    )
    lst, _ = bonded.declare(
        users["applicant"],
        book.number,
        {"movement": "import_abroad", "internal_no": "M-IN", "lines": [{"item_seq": item.seq, "quantity": "5"}]},
    )
    note = bonded.apply_release(users["applicant"], book.number, plate="豫C0", list_numbers=[lst.number])
    return {
        "bonded_book": book.number,
        "bonded_list": lst.number,
        "bonded_note": note.number,
        "bonded_token": note.token,
        "bonded_seq": item.seq,
    }


def pages(p) -> dict:
    Check, Ref, expect = p.Check, p.Ref, p.expect
    own = expect(p.HIDDEN, anon=p.LOGIN, applicant=p.OK)
    nobody = expect(p.FORBIDDEN, anon=p.LOGIN)
    home = expect(p.FORBIDDEN, anon=p.LOGIN, applicant=p.OK)
    book = {"number": Ref("bonded_book")}
    return {
        "bonded:home": [Check(home)],
        "bonded:book": [
            Check(own, args=book),
            Check(
                own,
                "POST",
                args=book,
                data={"movement": "import_abroad", "internal_no": "P-1", "item_seq_0": "1", "quantity_0": "1"},
            ),
        ],
        "bonded:release_apply": [Check(own, "POST", args=book, data={"plate": "豫C1", "lists": []})],
        "bonded:reconciliation": [Check(own, args=book)],
        "bonded:reconciliation_xlsx": [Check(own, args=book)],
        "bonded:list": [Check(own, args={"number": Ref("bonded_list")})],
        "bonded:release": [Check(own, args={"number": Ref("bonded_note")})],
        "bonded:gate": [Check(nobody, args={"token": Ref("bonded_token")})],
    }


def api(p) -> dict:
    Check, Ref, expect = p.Check, p.Ref, p.expect
    own = expect(p.HIDDEN, anon=p.LOGIN, applicant=p.OK)
    nobody = expect(p.FORBIDDEN, anon=p.LOGIN)
    book = {"number": Ref("bonded_book")}
    lst = {"number": Ref("bonded_list")}
    return {
        "GET /api/v1/bonded/books": [Check(expect(p.OK, anon=p.LOGIN))],
        "GET /api/v1/bonded/books/{number}": [Check(own, args=book)],
        "POST /api/v1/bonded/books/{number}/lists": [
            Check(
                own,
                "POST",
                args=book,
                data={"movement": "import_abroad", "internal_no": "API-1", "lines": [{"item_seq": 1, "quantity": "1"}]},
            )
        ],
        "GET /api/v1/bonded/lists/{number}": [Check(own, args=lst)],
        "GET /api/v1/bonded/lists": [Check(nobody)],
        "POST /api/v1/bonded/lists/{number}/review": [Check(nobody, "POST", args=lst, data={"outcome": "accept"})],
        "POST /api/v1/bonded/lists/{number}/reversal": [
            Check(own, "POST", args=lst, data={"internal_no": "R-1", "reason": "错"})
        ],
        "POST /api/v1/bonded/books/{number}/release-notes": [
            Check(own, "POST", args=book, data={"plate": "豫C2", "lists": [Ref("bonded_list")]})
        ],
        "POST /api/v1/bonded/gate/{token}": [Check(nobody, "POST", args={"token": Ref("bonded_token")})],
        "GET /api/v1/bonded/books/{number}/reconciliation": [
            Check(own, args=book, query={"start": "2026-01-01", "end": "2026-12-31"})
        ],
    }
