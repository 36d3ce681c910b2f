"""Dashboard URLs — mounted at /dashboard/ with namespace ``monitor``."""

from django.urls import path

from zimao.monitor import views

prefix = "dashboard/"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("public/", views.public, name="public"),
    path("public/export.xlsx", views.public_export, name="public_export"),
    path("indicators/<str:code>/", views.indicator, name="indicator"),
    path("indicators/<str:code>/events/", views.indicator_events, name="events"),
    path("industry/", views.industry, name="industry"),
    path("projects/", views.projects, name="projects"),
    path("ledgers/", views.ledgers, name="ledgers"),
    path("export/<slug:view>.xlsx", views.export_view, name="export"),
    path("import/", views.import_page, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("import/<int:pk>/discard/", views.import_discard, name="import_discard"),
]
