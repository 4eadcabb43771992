"""OpenAPI description of the token authentication (drf-spectacular finds it by the class path)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .params import MAX_PARAM_CHARS


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
    "405": "This method is not allowed on this path.",
    "406": "The Accept header asks for something other than JSON.",
    "415": "The body is not JSON.",
    "429": "Too many requests; wait as Retry-After says.",
    "500": "An unexpected error: nothing was changed; `request_id` is also in the server's log.",
}

IF_MATCH = {"type": "string", "pattern": r'^(\*|(W/)?"[0-9]{1,18}")$',
            "description": 'An ETag this API sent, such as "3" (or *); a stale one is 412, a malformed one 400.'}
# Bounds the views enforce (registry.api.params), written down so clients and fuzzers know them.
QUERY_BOUNDS = {"limit": {"minimum": 1, "maximum": 1000}, "since": {"minimum": 0, "maximum": 2**62}}

TWIN_AT = {
    "type": "object", "required": ["at", "revision", "twin"],
    "description": "With ?at=<time>: the twin as it was then, instead of a page of history.",
    "properties": {"at": {"type": "string", "format": "date-time"}, "revision": {"type": "integer"},
                   "twin": {"type": "object", "additionalProperties": {}}},
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
            "request_id": {"type": "string", "description": "With a 500: the id of the server's log line."},
            "fields": {"type": "array", "items": {"type": "string"}},
        },
    }
    schemas["TwinAt"] = TWIN_AT
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for route, path in result.get("paths", {}).items():
        for operation in path.values():
            _describe_parameters(operation)
            for code, description in ERRORS.items():
                operation.setdefault("responses", {}).setdefault(code, {"description": description, "content": ref})
            if route.endswith("/history"):
                _history_or_twin_at(operation)
    return result


def _describe_parameters(operation: dict) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"] == "If-Match":
            parameter["schema"] = dict(IF_MATCH)
        elif parameter["in"] == "query" and parameter["name"] in QUERY_BOUNDS:
            parameter["schema"] = {**parameter["schema"], **QUERY_BOUNDS[parameter["name"]]}
        elif parameter["in"] == "query" and parameter.get("schema", {}).get("type") == "string":
            parameter["schema"] = {"maxLength": MAX_PARAM_CHARS, **parameter["schema"]}


def _history_or_twin_at(operation: dict) -> None:
    """GET .../history answers a page of changes, or with ?at= one past state of the twin."""
    content = operation["responses"]["200"]["content"]["application/json"]
    content["schema"] = {"oneOf": [content["schema"], {"$ref": "#/components/schemas/TwinAt"}]}
