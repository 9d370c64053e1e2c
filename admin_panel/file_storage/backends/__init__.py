"""The four storages FILE_STORAGE_BACKEND chooses from, one module each (as django-storages'
`storages/backends/`), made to stream and to give browser links:

- `local.LocalFilmStorage`: Django's FileSystemStorage, as it is, with a check.
- `s3.S3FilmStorage`: django-storages' S3Storage; links presigned for S3_PUBLIC_ENDPOINT_URL, reads streamed.
- `minio.MinioFilmStorage`: django-minio-backend's MinioBackend; uploads and reads streamed.
- `file_api.FileAPIStorage`: this project's own client of FileAPI.
- `common`: what they share: the `FilmStorage` check, names, times, download headers.

The libraries' own reads load the whole object (into memory for MinioBackend, into a spooled
temporary file for S3Storage): a film must stream, so `_open` is replaced in both by a `RemoteFile`,
which streams and seeks with Range requests. Where the libraries break Django's Storage contract
(Django's own tests/file_storage, run by tests/storage_contract), the subclasses keep it: text content
is stored as UTF-8, times follow USE_TZ, `delete("")` is refused, path traversal is suspicious.
"""
