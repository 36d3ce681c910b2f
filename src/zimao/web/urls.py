from django.contrib.auth import views as auth_views
from django.urls import path

from zimao.web import applicant, counter, officer, ratings, views

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
    path("account/", views.account, name="account"),
    path("account/claim/", views.claim, name="claim"),
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
    path("cases/<str:number>/documents/<slug:kind>/", applicant.step_output, name="case_step_output"),
    path("cases/<str:number>/documents/<slug:kind>/pdf/", applicant.step_output_pdf, name="case_step_output_pdf"),
    path("documents/", applicant.my_documents, name="documents"),
    path("materials/<uuid:token>/", views.material, name="material"),
    # officers
    path("workbench/", officer.workbench, name="workbench"),
    path("workbench/reminders/<int:pk>/read/", officer.reminder_read, name="reminder_read"),
    path("workbench/reminders/read/", officer.reminders_read_all, name="reminders_read_all"),
    path("workbench/tasks/<int:task_id>/", officer.task_page, name="task"),
    path("workbench/tasks/<int:task_id>/decision/", officer.decide, name="task_decide"),
    path("workbench/tasks/<int:task_id>/rectification/", officer.rectify, name="task_rectify"),
    path("workbench/ratings/", ratings.ratings_page, name="ratings"),
    path("workbench/ratings/<str:number>/verification/", ratings.verify, name="rating_verify"),
    path("workbench/ratings/<str:number>/appeal/", ratings.appeal, name="rating_appeal"),
    path("workbench/ratings/appeals/<int:appeal_id>/decision/", ratings.review, name="rating_review"),
    path("window/", officer.window, name="window"),
    path("window/<str:number>/delivery/", officer.deliver, name="window_deliver"),
    # counter intake (前台综合受理): the window clerk applies on a walk-in applicant's behalf
    path("window/intake/", counter.find, name="intake"),
    path("window/intake/applicant/", counter.register_applicant, name="intake_applicant"),
    path("window/intake/phone/", counter.find_by_phone, name="intake_phone"),
    path("window/intake/attach/", counter.attach, name="intake_attach"),
    path("window/intake/start/", counter.start, name="intake_start"),
    path("window/intake/<uuid:ref>/", counter.tasks, name="intake_tasks"),
    path("window/intake/<uuid:ref>/materials/", counter.materials, name="intake_materials"),
    path("window/intake/<uuid:ref>/check/", counter.check, name="intake_check"),
    path("window/intake/<uuid:ref>/confirm/", counter.confirm, name="intake_confirm"),
    path("window/intake/<uuid:ref>/done/", counter.done, name="intake_done"),
    path("window/intake/<uuid:ref>/<slug:section_key>/", counter.section, name="intake_section"),
]
