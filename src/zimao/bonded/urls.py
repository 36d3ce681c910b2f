"""Bonded-zone pages, mounted under /bonded/ (namespace "bonded")."""

from django.urls import path

from zimao.bonded import views

prefix = "bonded/"

urlpatterns = [
    path("", views.home, name="home"),
    path("books/<str:number>/", views.book, name="book"),
    path("books/<str:number>/release/", views.release_apply, name="release_apply"),
    path("books/<str:number>/reconciliation/", views.reconciliation, name="reconciliation"),
    path("books/<str:number>/reconciliation.xlsx", views.reconciliation_xlsx, name="reconciliation_xlsx"),
    path("lists/<str:number>/", views.list_page, name="list"),
    path("release-notes/<str:number>/", views.release, name="release"),
    path("gate/<str:token>/", views.gate, name="gate"),
]
