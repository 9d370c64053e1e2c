"""Pure functions of the upload and download paths, case by case."""

import pytest

from file_api.downloads import (
    ByteRange,
    MalformedRange,
    RangeNotSatisfiable,
    content_disposition,
    parse_range,
)
from file_api.uploads import clean_filename


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
