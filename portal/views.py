"""Portal pages: thin views over registry selectors, scoped by what the signed-in user may see."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from registry.selectors import portal_cards, spec_errors_for
from tenancy.access import access_for


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated and not settings.DTP_DEMO_MODE:
        return redirect_to_login(request.get_full_path())
    access = access_for(request.user, demo=settings.DTP_DEMO_MODE)
    return render(request, "portal/home.html",
                  {"groups": portal_cards(access), "spec_errors": spec_errors_for(access)})
