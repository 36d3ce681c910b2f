"""Notification centre URLs — mounted at /notifications/ with namespace ``notify``."""

from django.urls import path

from zimao.notify import views

prefix = "notifications/"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("<int:pk>/read/", views.read, name="read"),
    path("read-all/", views.read_all, name="read_all"),
    path("settings/", views.settings_page, name="settings"),
]
