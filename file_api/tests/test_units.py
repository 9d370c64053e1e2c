"""Pure functions of the upload and download paths, case by case."""

import re
import time

import pytest
import shortuuid

from file_api.downloads import (
    MAX_RANGE_HEADER_LENGTH,
    ByteRange,
    MalformedRange,
    RangeNotSatisfiable,
    content_disposition,
    parse_range,
)
from file_api.models import SHORT_NAME_PATTERN
from file_api.uploads import clean_filename
from signed_links import LinkRefused, check_link, signature, signed_query

KEY = "k" * 32


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=5-", ByteRange(5, 9)),
        ("bytes=-3", ByteRange(7, 9)),
        ("bytes=8-100", ByteRange(8, 9)),
        ("seconds=1-2", None),
        ("bytes=0-1,3-4", None),
    ],
)
def test_parse_range(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, size=10) == expected


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=10-20", "bytes=-0"])
def test_parse_range_not_satisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, size=10)


def test_parse_range_refuses_a_header_over_the_limit_before_reading_numbers() -> None:
    longest = "bytes=0-" + "0" * (MAX_RANGE_HEADER_LENGTH - len("bytes=0-"))
    assert parse_range(longest, size=10) == ByteRange(0, 0)

    with pytest.raises(RangeNotSatisfiable, match="longer than 200 characters"):
        parse_range(longest + "0", size=10)


@pytest.mark.parametrize("header", ["bytes=0-", "bytes=-1"])
def test_no_range_of_an_empty_file_is_satisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, size=0)


@pytest.mark.parametrize("header", ["bytes=a-b", "bytes=3-1", "bytes=-", "0-5", "bytes=1--2"])
def test_parse_range_malformed(header: str) -> None:
    with pytest.raises(MalformedRange):
        parse_range(header, size=10)


def test_content_disposition_cannot_inject_headers() -> None:
    header = content_disposition('evil"\r\nSet-Cookie: session=1.mp4')

    assert "\r" not in header
    assert "\n" not in header
    assert header == (
        'attachment; filename="evil___Set-Cookie: session=1.mp4"; '
        "filename*=UTF-8''evil%22%0D%0ASet-Cookie%3A%20session%3D1.mp4"
    )


def test_content_disposition_keeps_accented_latin_in_the_fallback() -> None:
    assert content_disposition("Amélie.mp4").startswith('attachment; filename="Amelie.mp4"')


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("", "file"),
        ("   ", "file"),
        ("a%22b%22.mp4", 'a"b".mp4'),
        ("line%0Abreak.mp4", "linebreak.mp4"),
        ("100%25.mp4", "100%25.mp4"),
        ("dir/sub\\name.mp4", "name.mp4"),
        ("y" * 300, "y" * 255),
        ("z" * 300 + ".averyveryverylongextension", ("z" * 300 + ".averyveryverylongextension")[:255]),
    ],
)
def test_clean_filename(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_every_name_uploads_make_matches_the_short_name_pattern() -> None:
    # uploads.py names files with shortuuid.uuid(); a name the pattern refused could never be read again.
    assert all(re.fullmatch(SHORT_NAME_PATTERN, shortuuid.uuid()) for _ in range(1000))


def test_signature_is_hmac_sha256_hex_of_short_name_and_expiry() -> None:
    # The documented format, as any language computes it; the value is openssl's:
    #   printf 'Q7dWSbLVRJZxm6JZ34FnHP:1700000000' | openssl dgst -sha256 -hmac "$KEY"
    assert signature("Q7dWSbLVRJZxm6JZ34FnHP", 1700000000, KEY) == (
        "6ddca41eac458d5da6fd96ff24f6834ef4c3b845f507448ca4620cb92cf10a0b"
    )


def test_signed_query_passes_check_link() -> None:
    query = signed_query("Q7dWSbLVRJZxm6JZ34FnHP", KEY, lifetime=60)

    check_link("Q7dWSbLVRJZxm6JZ34FnHP", int(query["expires"]), query["signature"], KEY)
    assert int(query["expires"]) == pytest.approx(time.time() + 60, abs=2)


@pytest.mark.parametrize(
    ("short_name", "expires", "given", "reason"),
    [
        ("Q7dWSbLVRJZxm6JZ34FnHP", None, "0" * 64, "needs a signed link"),
        ("Q7dWSbLVRJZxm6JZ34FnHP", 4102444800, None, "needs a signed link"),
        ("Q7dWSbLVRJZxm6JZ34FnHP", 4102444800, "0" * 64, "signature is not valid"),
        (
            "Q7dWSbLVRJZxm6JZ34FnHQ",
            4102444800,
            signature("Q7dWSbLVRJZxm6JZ34FnHP", 4102444800, KEY),
            "not valid",
        ),
        ("Q7dWSbLVRJZxm6JZ34FnHP", 1000, signature("Q7dWSbLVRJZxm6JZ34FnHP", 1000, KEY), "expired"),
    ],
)
def test_check_link_refuses(short_name: str, expires: int | None, given: str | None, reason: str) -> None:
    with pytest.raises(LinkRefused, match=reason):
        check_link(short_name, expires, given, KEY)
