"""The sign-in page: guessing is answered 429 (see tenancy.ratelimit for who counts as the same client)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .ratelimit import WINDOW_SECONDS, remember_device, signin_blocked


class LoginView(auth_views.LoginView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if signin_blocked(request, request.POST.get("username", "")):
            return render(request, "registration/login.html",
                          {"form": self.get_form(), "throttled": WINDOW_SECONDS}, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        remember_device(response, form.get_user().get_username())
        return response
