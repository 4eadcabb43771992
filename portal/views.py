"""Portal pages: thin views over registry selectors."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from registry.selectors import portal_cards, spec_errors


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"groups": portal_cards(), "spec_errors": spec_errors()})
