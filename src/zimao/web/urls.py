from django.contrib.auth import views as auth_views
from django.urls import path

from zimao.web import applicant, officer, ratings, views

urlpatterns = [
    # public
    path("", views.home, name="home"),
    path("services/", views.services, name="services"),
    path("services/<str:code>/", views.service, name="service"),
    path("verify/", views.verify_form, name="verify_form"),
    # accounts
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    # the applicant's journey (materials and check come before the section pattern)
    path("apply/<str:code>/", applicant.task_list, name="apply"),
    path("apply/<str:code>/materials/", applicant.materials_page, name="apply_materials"),
    path("apply/<str:code>/check/", applicant.check_page, name="apply_check"),
    path("apply/<str:code>/draft/delete/", applicant.delete_draft, name="apply_draft_delete"),
    path("apply/<str:code>/<slug:section_key>/", applicant.section_page, name="apply_section"),
    path("cases/", applicant.my_cases, name="cases"),
    path("cases/<str:number>/", applicant.case_page, name="case"),
    path("cases/<str:number>/submitted/", applicant.submitted, name="case_submitted"),
    path("cases/<str:number>/withdraw/", applicant.withdraw, name="case_withdraw"),
    path("cases/<str:number>/correction/", applicant.correction, name="case_correction"),
    path("cases/<str:number>/rating/", applicant.rate, name="case_rating"),
    path("cases/<str:number>/follow-up/", applicant.follow_up, name="case_follow_up"),
    path("materials/<uuid:token>/", views.material, name="material"),
    # officers
    path("workbench/", officer.workbench, name="workbench"),
    path("workbench/tasks/<int:task_id>/", officer.task_page, name="task"),
    path("workbench/tasks/<int:task_id>/decision/", officer.decide, name="task_decide"),
    path("workbench/tasks/<int:task_id>/rectification/", officer.rectify, name="task_rectify"),
    path("workbench/ratings/", ratings.ratings_page, name="ratings"),
    path("workbench/ratings/<str:number>/verification/", ratings.verify, name="rating_verify"),
    path("workbench/ratings/<str:number>/appeal/", ratings.appeal, name="rating_appeal"),
    path("workbench/ratings/appeals/<int:appeal_id>/decision/", ratings.review, name="rating_review"),
    path("window/", officer.window, name="window"),
    path("window/<str:number>/delivery/", officer.deliver, name="window_deliver"),
]
