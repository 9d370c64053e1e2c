"""What Django's storage tests expect that a film storage does not do, by design: each reason once,
with the backends and tests it explains. A test listed here must fail (strict xfail): a fix that makes
one pass fails the suite until the test is taken off this list.
"""

from dataclasses import dataclass

from file_storage.config import BACKENDS

ALL = BACKENDS
REMOTE = tuple(backend for backend in BACKENDS if backend != "local")


@dataclass(frozen=True)
class Difference:
    reason: str
    backends: tuple[str, ...]
    tests: tuple[str, ...]  # "TestClass.test_method" of Django's tests
    strict: bool = True  # the tests always fail; only a timing-bound difference may not


DIFFERENCES = (
    Difference(
        # Directories as nodes (deleted as trees, with times of their own, IsADirectoryError,
        # FileExistsError), an access time each open() changes, writes through a file opened "r", and a
        # base URL taken from MEDIA_URL at each call.
        "InMemoryStorage's own behaviour, which Django's FileSystemStorage does not have either",
        ALL,
        (
            "MemoryStorageIOTests.test_delete",
            "MemoryStorageIOTests.test_file_node_cannot_have_children",
            "MemoryStorageIOTests.test_open_dir_as_file",
            "MemoryStorageIOTests.test_url",
            "MemoryStorageTimesTests.test_directory_times_changing_after_file_creation",
            "MemoryStorageTimesTests.test_directory_times_changing_after_file_deletion",
            "MemoryStorageTimesTests.test_file_accessed_time",
            "MemoryStorageTimesTests.test_file_created_time",
        ),
    ),
    Difference(
        # os.path, os.listdir, os.mkdir, patched os.makedirs/os.remove, symlinks, path().
        "the test looks at the local disk: a remote storage's files are not there and have no path()",
        REMOTE,
        (
            "FileStorageTests.test_delete_deletes_directories",
            "FileStorageTests.test_file_get_created_time",
            "FileStorageTests.test_file_get_modified_time",
            "FileStorageTests.test_file_methods_pathlib_path",
            "FileStorageTests.test_file_path",
            "FileStorageTests.test_file_save_broken_symlink",
            "FileStorageTests.test_listdir",
            "FileStorageTests.test_makedirs_race_handling",
            "FileStorageTests.test_remove_race_handling",
            "FileSaveRaceConditionTest.test_race_condition",
            "FileStoragePathParsing.test_directory_with_dot",
            "FileStoragePathParsing.test_first_character_dot",
        ),
    ),
    Difference(
        "the test looks for the saved name on the local disk, not in the storage",
        ("s3", "minio"),
        ("FileStorageTests.test_file_save_without_name",),
    ),
    Difference(
        # location, base_url, permissions, MEDIA_ROOT/MEDIA_URL; a remote storage has a bucket and an
        # endpoint, or FileAPI's URL and token.
        "the test builds the storage with FileSystemStorage's options",
        REMOTE,
        (
            "FileStorageTests.test_base_url",
            "FileStorageTests.test_empty_location",
            "FileStorageTests.test_file_storage_preserves_filename_case",
            "FileStorageTests.test_setting_changed",
        ),
    ),
    Difference(
        "links are presigned S3 URLs or FileAPI's signed links, not base_url + name",
        REMOTE,
        ("FileStorageTests.test_file_url",),
    ),
    Difference(
        # get_accessed_time() raises NotImplementedError, as Django's Storage does for a backend without one.
        "S3, MinIO and FileAPI record no access time",
        REMOTE,
        (
            "FileStorageTests.test_file_get_accessed_time",
            "FileStorageTests.test_file_get_accessed_time_timezone",
        ),
    ),
    Difference(
        # "path/to" of "path/to/test.file" is part of a key (S3, MinIO), or of nothing (FileAPI is flat).
        "object stores have no directories that exist()",
        REMOTE,
        ("FileStorageTests.test_file_save_with_path", "MemoryStorageIOTests.test_exists"),
    ),
    Difference(
        # FileSystemStorage moves the temporary file into place; Django deletes it when the request ends.
        "a remote storage sends an upload's temporary file, it cannot move it",
        REMOTE,
        ("MemoryStorageIOTests.test_removing_temporary_file_after_save",),
    ),
    Difference(
        # A file rewritten 0.1 s after it was saved keeps its time, unless the two writes straddle a
        # second: then the test passes, so this one difference is not strict.
        "S3 keeps Last-Modified to the second",
        ("s3",),
        ("MemoryStorageTimesTests.test_file_modified_time",),
        strict=False,
    ),
    Difference(
        # django-minio-backend opens files with "rb" only ("r" too here); FileAPI's files never change.
        # A new version is a new file, saved with save().
        "stored files are read-only",
        ("minio", "file_api"),
        (
            "FileStorageTests.test_file_access_options",
            "MemoryStorageIOTests.test_write_string",
            "MemoryStorageIOTests.test_convert_str_to_bytes_and_back",
            "MemoryStorageTimesTests.test_file_modified_time",
        ),
    ),
    Difference(
        # save("file.txt") returns another name, so the test's own name finds nothing; listdir() lists
        # short_names.
        "FileAPI chooses the stored name (a short_name), in a flat namespace",
        ("file_api",),
        (
            "FileStorageTests.test_file_save_without_name",
            "MemoryStorageIOTests.test_file_saving",
            "MemoryStorageIOTests.test_file_size",
            "MemoryStorageIOTests.test_list_relative_path",
            "MemoryStorageIOTests.test_listdir",
        ),
    ),
)


def expected_differences() -> dict[tuple[str, str], Difference]:
    """(backend, "TestClass.test_method") -> its difference; a test is explained at most once per backend."""
    explained: dict[tuple[str, str], Difference] = {}
    for difference in DIFFERENCES:
        for backend in difference.backends:
            for test in difference.tests:
                if (backend, test) in explained:
                    raise ValueError(f"{test} on {backend} is listed twice in differences.py")
                explained[backend, test] = difference
    return explained
