from django.contrib.auth import views as auth_views
from django.urls import path

from zimao.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("services/", views.services, name="services"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("verify/", views.verify_form, name="verify_form"),
]
