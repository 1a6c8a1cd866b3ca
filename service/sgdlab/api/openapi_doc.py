"""The OpenAPI document: every 4xx/5xx answer is declared as application/problem+json with the ProblemDocument
schema (what the handlers really send); every /v1 operation documents 401 and every /v1 write 413, 415 and 422
(docs/API.md "Status codes of every endpoint"); a route declares only the codes of its own."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .models import ProblemDocument
from .problems import PROBLEM_JSON

REF = {"$ref": "#/components/schemas/ProblemDocument"}
V1_ERRORS = {"401": "Unauthorized: SGDLAB_API_KEYS is set and the bearer key is missing or unknown"}
WRITE_ERRORS = {"413": "Request body too large", "415": "Body is not application/json",
                "422": "Validation error naming the field"}


def problem_responses(*codes: int) -> dict:
    """The `responses` of a route that answers these status codes with problem documents."""
    return {code: {"model": ProblemDocument} for code in codes}


def install_openapi(app: FastAPI) -> None:
    """Replace app.openapi with a generator that documents problem documents accurately."""

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas["ProblemDocument"] = ProblemDocument.model_json_schema(ref_template="#/components/schemas/{model}")
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for path, item in doc.get("paths", {}).items():
            for method, op in item.items():
                responses = op.setdefault("responses", {})
                if path.startswith("/v1/"):
                    for code, text in V1_ERRORS.items():
                        responses.setdefault(code, {"description": text})
                if method in ("post", "put", "patch") and path.startswith("/v1/"):
                    for code, text in WRITE_ERRORS.items():
                        responses.setdefault(code, {"description": text})
                for code, resp in responses.items():
                    if code[0] in "45":
                        resp["content"] = {PROBLEM_JSON: {"schema": REF}}
                        resp.setdefault("description", "Problem document")
        app.openapi_schema = doc
        return doc

    app.openapi = openapi
