"""Public pages and accounts: home, service guides, log in, register, the verification form."""

from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"


def home(request):
    return render(request, "web/home.html")


def services(request):
    return render(request, "web/services.html")


def register(request):
    return render(request, "web/register.html")


def verify_form(request):
    identifier = (request.GET.get("identifier") or "").strip()
    if identifier:
        return redirect(reverse("licences:verify", args=[identifier]))
    return render(request, "web/verify_form.html")
