"""Fuzzing: schemathesis builds requests from the FileAPI process's own OpenAPI document, valid and invalid,
for every operation, once without credentials and once with the token (signed links on, as in
.env.example), and checks every answer against that document: no 5xx, only documented status codes,
content types, headers and bodies, invalid input refused with a 4xx.

Each operation's cases come from its Hypothesis strategy (`operation.as_strategy()`), one run per
generation mode. (`schemathesis.pytest.from_fixture`, which would load the document from a fixture, does not
run under pytest 9.2: it sets `Function._nodeid`, which pytest no longer has.) Deterministic: derandomized
generation and no example database, so CI sends the same requests every time. The uploads the fuzzer makes
are deleted at the end, so the other tests find the table and the bucket as they would without this module.
"""

import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from sqlalchemy import Engine, select

from devstack.services import FileAPI
from file_api.models import SHORT_NAME_PATTERN, StoredFile, UploadSession

# Every operation of the document; test_every_operation_is_fuzzed fails when a route is added but not here.
OPERATIONS = [
    "POST /api/v1/",
    "GET /api/v1/download-stream/{short_name}",
    "HEAD /api/v1/download-stream/{short_name}",
    "GET /api/v1/files/{short_name}",
    "DELETE /api/v1/files/{short_name}",
    "GET /api/v1/files",
    "GET /api/v1/health",
    "POST /api/v1/uploads",
    "POST /api/v1/uploads/{upload_id}/grant",
    "PUT /api/v1/uploads/{upload_id}/parts/{part_number}",
    "GET /api/v1/uploads/{upload_id}/parts",
    "POST /api/v1/uploads/{upload_id}/complete",
    "DELETE /api/v1/uploads/{upload_id}",
]
# With the token, these never succeed: no generated short_name names a stored file (DELETE), and no
# generated part is exactly a part's size (PUT), so no upload has every part (complete). The upload_id
# of DELETE is left as generated, so that the fuzzer never aborts the `upload_session` of the others.
NEVER_SUCCEED = {
    "DELETE /api/v1/files/{short_name}",
    "PUT /api/v1/uploads/{upload_id}/parts/{part_number}",
    "POST /api/v1/uploads/{upload_id}/complete",
    "DELETE /api/v1/uploads/{upload_id}",
}
WITHOUT_CREDENTIALS, WITH_THE_TOKEN = "without credentials", "with the token"
# Per operation, caller and generation mode.
MAX_EXAMPLES = 40
FUZZING = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,  # a request's time is the server's, not the generator's
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)

# schemathesis.toml's format. Only where FileAPI answers right but schemathesis's defaults call it wrong.
CHECKS_CONFIG = schemathesis.Config.from_str("""
# A query parameter FileAPI does not know is ignored, as HTTP allows (a link may carry a tracking one).
generation.allow-extra-parameters = false

[[operations]]
# A Range header is any string to a JSON Schema: whether it parses (else 400) and whether its range fits the
# file (else 416) only the file can tell; one over 200 characters is refused with 416 (RFC 9110 §15.5.17).
include-path = "/api/v1/download-stream/{short_name}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", 400, 401, 403, 404, 416]
checks.negative_data_rejection.expected-statuses = [400, 401, 403, 404, 416, 422]

[[operations]]
# Any size the schema allows may be over FILE_API_MAX_UPLOAD_BYTES (a setting, not in the document): 413.
include-name = "POST /api/v1/uploads"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 404, 413]
checks.negative_data_rejection.expected-statuses = [400, 401, 413, 422]

[[operations]]
# A part must be exactly its size and the upload's part_count bounds its number: only the upload knows.
include-path = "/api/v1/uploads/{upload_id}/parts/{part_number}"
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 411]
""")


@pytest.fixture(scope="module")
def file_api_schema(file_api_server: FileAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{file_api_server.base_url}/api/openapi.json", config=CHECKS_CONFIG)


@pytest.fixture(scope="module")
def film(api: httpx.Client, auth: dict[str, str]) -> str:
    """A stored file: reads of a well-formed short_name go to it, so Range and If-* headers are exercised
    on real content rather than answered by a 404."""
    response = api.post("/api/v1/", headers=auth, files={"file": ("film.mp4", b"0123456789" * 100)})
    assert response.status_code == 201, response.text
    short_name: str = response.json()["short_name"]
    return short_name


@pytest.fixture(scope="module")
def upload_session(api: httpx.Client, auth: dict[str, str]) -> str:
    """An open resumable upload: the operations on an upload_id go to it, past the 404 of a random one."""
    body = {"filename": "film.mp4", "size": 1000, "content_type": "video/mp4", "part_size": None}
    response = api.post("/api/v1/uploads", headers=auth, json=body)
    assert response.status_code == 201, response.text
    upload_id: str = response.json()["upload_id"]
    return upload_id


@pytest.fixture(scope="module", autouse=True)
def leaves_no_files(file_api_db: Engine, api: httpx.Client, auth: dict[str, str]) -> Iterator[None]:
    """Deletes what this module stored (`film`, the fuzzed uploads, the upload sessions it opened) through
    the API: rows, objects and S3 multipart uploads."""

    def short_names() -> set[str]:
        with file_api_db.connect() as connection:
            return set(connection.scalars(select(StoredFile.short_name)))

    def upload_ids() -> set[uuid.UUID]:
        with file_api_db.connect() as connection:
            return set(connection.scalars(select(UploadSession.id)))

    before, sessions_before = short_names(), upload_ids()
    yield
    for short_name in short_names() - before:
        assert api.delete(f"/api/v1/files/{short_name}", headers=auth).status_code == 204
    for upload_id in upload_ids() - sessions_before:
        assert api.delete(f"/api/v1/uploads/{upload_id}", headers=auth).status_code == 204


def test_every_operation_is_fuzzed(file_api_schema: schemathesis.BaseSchema) -> None:
    documented = [result.ok().label for result in file_api_schema.get_all_operations()]

    assert sorted(documented) == sorted(OPERATIONS)


@pytest.mark.parametrize("caller", [WITHOUT_CREDENTIALS, WITH_THE_TOKEN])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_fuzzed_requests_get_documented_answers(
    file_api_schema: schemathesis.BaseSchema,
    operation: str,
    caller: str,
    auth: dict[str, str],
    film: str,
    upload_session: str,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    method, path = operation.split(" ", 1)
    api_operation = file_api_schema[path][method]
    headers = auth if caller == WITH_THE_TOKEN else {}
    # Invalid requests need something to be invalid: an operation with no input (health) has none.
    has_input = any(api_operation.iter_parameters()) or bool(api_operation.body)
    statuses = Counter[int]()
    for mode in GenerationMode if has_input else [GenerationMode.POSITIVE]:

        @FUZZING
        @hypothesis.given(case=api_operation.as_strategy(generation_mode=mode))
        def answered_as_documented(case: schemathesis.Case) -> None:
            short_name = (case.path_parameters or {}).get("short_name")
            if method in {"GET", "HEAD"} and short_name and re.fullmatch(SHORT_NAME_PATTERN, short_name):
                case.path_parameters["short_name"] = film
            upload_id = (case.path_parameters or {}).get("upload_id")
            if method != "DELETE" and isinstance(upload_id, str) and _is_uuid(upload_id):
                case.path_parameters["upload_id"] = upload_session
            # Every check schemathesis has: 5xx, undocumented status, content type, headers, body schema,
            # invalid input accepted, valid input refused, authentication ignored...
            statuses[case.call_and_validate(headers=headers).status_code] += 1

        answered_as_documented()

    record_property("fuzzed cases", statuses.total())
    with capsys.disabled():
        print(f"\n{operation} {caller}: {statuses.total()} cases, statuses {dict(sorted(statuses.items()))}")
    # The run was real: as many cases as asked (health has only one request to make)...
    assert statuses.total() >= (MAX_EXAMPLES if has_input else 1)
    # ...and without credentials nothing succeeded but the health check; with the token everything did but
    # NEVER_SUCCEED.
    should_succeed = operation == "GET /api/v1/health" or (
        caller == WITH_THE_TOKEN and operation not in NEVER_SUCCEED
    )
    assert any(status < 300 for status in statuses) == should_succeed, statuses


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
