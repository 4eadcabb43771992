"""Django's own error answers (400, 403, 404, 500) as the API's JSON for every path under /api/.

DRF views already answer in JSON (registry.api.errors). What happens outside them, a URL no
route matches, an error in a middleware, a request Django itself refuses, would be an HTML
page; a script reading the API gets the documented {"detail": ...} shape instead. Pages
outside /api/ keep Django's own handlers.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from .errors import request_id, server_error_body

NOT_FOUND = "No such resource, or not one you may see. The endpoints are listed at /api/docs/."


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


@csrf_exempt
def unknown_api_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """The last /api/ route: a path no endpoint serves is a JSON 404, with any method, in any DEBUG mode.

    A GET for an endpoint written without its trailing slash (/api/docs) is redirected to it, as
    Django's APPEND_SLASH would do had this route not matched first.
    """
    if request.method in ("GET", "HEAD") and not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown_api_path:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return JsonResponse({"detail": NOT_FOUND}, status=404)


def bad_request(request: HttpRequest, exception: Exception, template_name: str = "400.html") -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception, template_name)
    return JsonResponse({"detail": "Bad request: the server could not read it."}, status=400)


def permission_denied(request: HttpRequest, exception: Exception, template_name: str = "403.html") -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception, template_name)
    return JsonResponse({"detail": "You may not do this."}, status=403)


def page_not_found(request: HttpRequest, exception: Exception, template_name: str = "404.html") -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception, template_name)
    return JsonResponse({"detail": NOT_FOUND}, status=404)


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """An error outside any DRF view: under /api/, JSON whose request id is also in the log line."""
    if not _is_api(request):
        return defaults.server_error(request, template_name)
    response = JsonResponse(server_error_body(request, sys.exc_info()[1]), status=500)
    response["X-Request-ID"] = request_id(request)
    response._has_been_logged = True  # logged with its id by server_error_body
    return response
