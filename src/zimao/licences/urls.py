"""Licence pages, mounted at the site root (namespace "licences")."""

from django.urls import path

from zimao.licences import views

prefix = ""

urlpatterns = [
    path("verify-document/", views.verify_document, name="verify_document"),
    path("verify/<str:identifier>/", views.verify, name="verify"),
    path("licences/<str:identifier>/", views.detail, name="detail"),
    path("licences/<str:identifier>/qr.svg", views.qr, name="qr"),
    path("licences/<str:identifier>/pdf/", views.pdf, name="pdf"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
]
