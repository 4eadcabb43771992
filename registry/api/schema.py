"""OpenAPI description of the token authentication (drf-spectacular finds it by the class path)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tenancy.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <token>` or `Bearer <token>`; create one with `manage.py create_token`."}


ERRORS = {
    "400": "Bad input: `errors` lists each field path with a sentence.",
    "401": "No valid credentials.",
    "403": "Signed in, but this needs another role (or the token is read-only).",
    "404": "No such resource, or not one you may see.",
    "409": "Conflict: the id exists, or the field belongs to the twin's file (`source_path`).",
    "412": "If-Match named a revision that is no longer current.",
    "413": "The body is larger than DTP_API_MAX_BODY_BYTES.",
    "415": "The body is not JSON.",
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: every operation documents the API's JSON errors."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "required": ["detail"],
        "properties": {
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
            "source_path": {"type": "string"},
            "fields": {"type": "array", "items": {"type": "string"}},
        },
    }
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for code, description in ERRORS.items():
                operation.setdefault("responses", {}).setdefault(code, {"description": description, "content": ref})
    return result
