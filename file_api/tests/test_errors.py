"""Every input is answered deliberately: a 4xx with a JSON body of one shape, which the OpenAPI document
describes. In-process: these are FileAPI's own decisions. (test_fuzzing.py then throws generated input at
every operation of the real process.)"""

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from file_api.models import SHORT_NAME_PATTERN

# Every test here awaits the app in-process (conftest.py, app_client).
pytestmark = pytest.mark.anyio

SHORT_NAME_ROUTES = [
    ("GET", "/api/v1/download-stream/{}"),
    ("HEAD", "/api/v1/download-stream/{}"),
    ("GET", "/api/v1/files/{}"),
    ("DELETE", "/api/v1/files/{}"),
]
BAD_SHORT_NAMES = [
    "NoSuchFile",  # too short
    "Q7dWSbLVRJZxm6JZ34FnHPX",  # too long
    "Q7dWSbLVRJZxm6JZ34FnH0",  # 0 is not in shortuuid's alphabet
    "' OR '1'='1' --          ",
    "Звёздные-войны-эпизод-4",
]


@pytest.mark.parametrize("short_name", BAD_SHORT_NAMES)
@pytest.mark.parametrize(("method", "path"), SHORT_NAME_ROUTES)
async def test_malformed_short_name_is_422_before_any_query(
    app_client: httpx.AsyncClient, auth: dict[str, str], method: str, path: str, short_name: str
) -> None:
    response = await app_client.request(method, path.format(quote(short_name, safe="")), headers=auth)

    assert response.status_code == 422
    if method != "HEAD":
        mismatch = f"String should match pattern '{SHORT_NAME_PATTERN}'"
        assert response.json() == {
            "detail": f"invalid request: path.short_name: {mismatch}",
            "errors": [{"loc": ["path", "short_name"], "msg": mismatch, "type": "string_pattern_mismatch"}],
        }
        assert short_name not in response.text  # the input is not echoed back


async def test_unknown_route_is_json_404(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/api/v2/films")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


async def test_unknown_method_is_json_405(app_client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await app_client.put("/api/v1/files", headers=auth)

    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json() == {"detail": "Method Not Allowed"}


async def test_openapi_describes_every_error_answer(app_client: httpx.AsyncClient) -> None:
    schema = (await app_client.get("/api/openapi.json")).json()
    components = schema["components"]["schemas"]

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                expected = "ValidationErrorOut" if status == "422" else "ErrorOut"
                if path == "/api/v1/health":
                    expected = "HealthFailure"
                reference = response["content"]["application/json"]["schema"]["$ref"]
                assert reference == f"#/components/schemas/{expected}", (method, path, status)
    # FastAPI's own 422 shape is replaced everywhere, so it must not be documented anywhere.
    assert "HTTPValidationError" not in components
    assert components["ValidationErrorOut"]["required"] == ["detail", "errors"]


def error_statuses(schema: dict[str, Any], method: str, path: str) -> set[int]:
    return {int(status) for status in schema["paths"][path][method]["responses"] if int(status) >= 400}


async def test_openapi_lists_what_each_operation_answers(app_client: httpx.AsyncClient) -> None:
    schema = (await app_client.get("/api/openapi.json")).json()

    assert error_statuses(schema, "post", "/api/v1/") == {400, 401, 413, 422, 503}
    assert error_statuses(schema, "get", "/api/v1/download-stream/{short_name}") == {
        400, 403, 404, 416, 422, 503,
    }  # fmt: skip
    assert error_statuses(schema, "get", "/api/v1/files") == {401, 422, 503}
    assert error_statuses(schema, "get", "/api/v1/files/{short_name}") == {401, 404, 422, 503}
    assert error_statuses(schema, "delete", "/api/v1/files/{short_name}") == {401, 404, 422, 503}
