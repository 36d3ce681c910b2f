"""Trade pages — 国际贸易页面 (namespace "trade"): the exporter's origin checks and certificates,
the issuing body's desk, the public verification page, and single-window declarations."""

from django.urls import path

from zimao.trade import views

prefix = ""

urlpatterns = [
    # public
    path("coo/verify/", views.verify_form, name="verify_form"),
    path("coo/verify/<str:number>/", views.verify, name="verify"),
    # exporters
    path("trade/", views.home, name="home"),
    path("trade/origin/check/", views.origin_check, name="origin_check"),
    path("trade/origin/checks/<int:pk>/", views.origin_result, name="origin_result"),
    path("trade/certificates/", views.certificate_list, name="certificates"),
    path("trade/certificates/apply/", views.certificate_apply, name="certificate_apply"),
    path("trade/certificates/<str:reference>/", views.certificate_detail, name="certificate"),
    path("trade/certificates/<str:reference>/certificate.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("trade/certificates/<str:reference>/withdraw/", views.certificate_withdraw, name="certificate_withdraw"),
    path("trade/certificates/<str:reference>/true-copy/", views.true_copy_request, name="true_copy_request"),
    path("trade/true-copies/<str:reference>/copy.pdf", views.true_copy_pdf, name="true_copy_pdf"),
    path("trade/declarations-of-origin/<str:reference>/declaration.pdf", views.declaration_pdf, name="declaration_pdf"),
    # issuing body
    path("trade/desk/", views.desk, name="desk"),
    path("trade/desk/<str:reference>/", views.desk_review, name="desk_review"),
    path("trade/desk/<str:reference>/issue/", views.desk_issue, name="desk_issue"),
    path("trade/desk/<str:reference>/refuse/", views.desk_refuse, name="desk_refuse"),
    path("trade/desk/true-copies/<str:reference>/issue/", views.desk_true_copy, name="desk_true_copy"),
    path("trade/statistics/", views.statistics, name="statistics"),
    # single window
    path("trade/declarations/", views.declaration_list, name="declarations"),
    path("trade/declarations/new/", views.declaration_new, name="declaration_new"),
    path("trade/declarations/<str:number>/", views.declaration_detail, name="declaration"),
    path("trade/declarations/<str:number>/status/", views.declaration_status_fragment, name="declaration_status"),
]
