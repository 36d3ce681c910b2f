"""Permit pages, mounted under /permits/ (namespace "permits")."""

from django.urls import path

from zimao.permits import views

prefix = "permits/"

urlpatterns = [
    path("", views.catalogue_page, name="catalogue"),
    path("catalogue.xlsx", views.catalogue_xlsx, name="catalogue_xlsx"),
    path("advisor/", views.advisor, name="advisor"),
    path("companies/", views.companies, name="companies"),
    path("items/<str:code>/", views.item_page, name="item"),
    path("items/<str:code>/commit/", views.commit, name="commit"),
    path("items/<str:code>/note/", views.note_activity, name="note"),
    path("granted/<str:number>/", views.granted, name="granted"),
    path("bundles/<str:code>/", views.bundle, name="bundle"),
    path("checks/", views.checks, name="checks"),
    path("checks/<int:pk>/", views.check, name="check"),
]
