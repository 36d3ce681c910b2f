"""Trade pages — 国际贸易页面 (namespace "trade"): the exporter's origin checks and certificates,
the issuing body's desk, the public verification page, and single-window declarations."""

from django.urls import path

from zimao.trade import views
from zimao.trade.certificates import views as certificates
from zimao.trade.window import views as window

prefix = ""

urlpatterns = [
    # public
    path("coo/verify/", certificates.verify_form, name="verify_form"),
    path("coo/verify/<str:number>/", certificates.verify, name="verify"),
    # exporters
    path("trade/", views.home, name="home"),
    path("trade/origin/check/", views.origin_check, name="origin_check"),
    path("trade/origin/checks/<int:pk>/", views.origin_result, name="origin_result"),
    path("trade/certificates/", certificates.certificate_list, name="certificates"),
    path("trade/certificates/apply/", certificates.certificate_apply, name="certificate_apply"),
    path("trade/certificates/<str:reference>/", certificates.certificate_detail, name="certificate"),
    path("trade/certificates/<str:reference>/certificate.pdf", certificates.certificate_pdf, name="certificate_pdf"),
    path(
        "trade/certificates/<str:reference>/withdraw/", certificates.certificate_withdraw, name="certificate_withdraw"
    ),
    path("trade/certificates/<str:reference>/true-copy/", certificates.true_copy_request, name="true_copy_request"),
    path("trade/true-copies/<str:reference>/copy.pdf", certificates.true_copy_pdf, name="true_copy_pdf"),
    path(
        "trade/declarations-of-origin/<str:reference>/declaration.pdf",
        certificates.declaration_pdf,
        name="declaration_pdf",
    ),
    # issuing body
    path("trade/desk/", certificates.desk, name="desk"),
    path("trade/desk/<str:reference>/", certificates.desk_review, name="desk_review"),
    path("trade/desk/<str:reference>/issue/", certificates.desk_issue, name="desk_issue"),
    path("trade/desk/<str:reference>/refuse/", certificates.desk_refuse, name="desk_refuse"),
    path("trade/desk/true-copies/<str:reference>/issue/", certificates.desk_true_copy, name="desk_true_copy"),
    path("trade/statistics/", certificates.statistics, name="statistics"),
    # single window
    path("trade/declarations/", window.declaration_list, name="declarations"),
    path("trade/declarations/new/", window.declaration_new, name="declaration_new"),
    path("trade/declarations/<str:number>/", window.declaration_detail, name="declaration"),
    path("trade/declarations/<str:number>/status/", window.declaration_status_fragment, name="declaration_status"),
]
