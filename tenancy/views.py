"""The sign-in page, with failed attempts limited per client address."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .ratelimit import WINDOW_SECONDS, blocked, client_address, record_failure


class LoginView(auth_views.LoginView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if blocked("login", client_address(request)):
            return render(request, "registration/login.html",
                          {"form": self.get_form(), "throttled": WINDOW_SECONDS}, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        record_failure("login", client_address(self.request))
        return super().form_invalid(form)
