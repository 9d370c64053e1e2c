"""Uploads to FileAPI that never complete, sent over a raw socket the way unlucky or hostile clients do.

- `disconnect`: declares a whole file, sends part of it and hangs up (a closed laptop, `timeout 1 curl`);
- `over_limit`: a chunked body, so no Content-Length warns the server, that goes on past the size limit;
- `truncated`: a complete request whose multipart body stops in the middle of the file.

A raw socket, because HTTP clients refuse to send a body shorter than its Content-Length and wait to send
all of a body before reading the answer. Used by the FileAPI tests and by the aborted-uploads benchmark.
"""

from __future__ import annotations

import os
import select
import socket
import time
from collections.abc import Iterator

from devstack.settings import HOST

BOUNDARY = "devstack-broken-upload"
FILE_PART_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="broken.mp4"\r\n'
    "Content-Type: video/mp4\r\n\r\n"
).encode()
FILE_PART_END = f"\r\n--{BOUNDARY}--\r\n".encode()
BLOCK = os.urandom(256 * 1024)
# Long enough for a FileAPI process busy with 100 other uploads on a loaded machine.
ANSWER_TIMEOUT = 120.0


def disconnect(port: int, token: str, file_size: int, cut_at: int) -> None:
    """Declares a file of `file_size` bytes, sends the first `cut_at` bytes of the body and hangs up."""
    body_size = len(FILE_PART_HEAD) + file_size + len(FILE_PART_END)
    with _connect(port) as sock:
        sock.sendall(_request_head(token, body_size))
        for block in _blocks(min(cut_at, body_size), FILE_PART_HEAD):
            sock.sendall(block)


def over_limit(port: int, token: str, limit: int) -> int:
    """Streams a chunked file past `limit` bytes until the server answers; returns the status code."""
    with _connect(port) as sock:
        sock.sendall(_request_head(token, None))
        for block in _blocks(len(FILE_PART_HEAD) + limit + 4 * len(BLOCK), FILE_PART_HEAD):
            if select.select([sock], [], [], 0)[0]:
                break  # it answered: stop sending, read why
            try:
                sock.sendall(f"{len(block):x}\r\n".encode() + block + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break  # it closed the connection after its answer
        return _status(sock)


def truncated(port: int, token: str, file_bytes: int) -> int:
    """A body with `file_bytes` of the file and no closing boundary; returns the status code."""
    with _connect(port) as sock:
        sock.sendall(_request_head(token, len(FILE_PART_HEAD) + file_bytes))
        for block in _blocks(len(FILE_PART_HEAD) + file_bytes, FILE_PART_HEAD):
            sock.sendall(block)
        return _status(sock)


def _connect(port: int) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=ANSWER_TIMEOUT)


def _request_head(token: str, content_length: int | None) -> bytes:
    length = "Transfer-Encoding: chunked" if content_length is None else f"Content-Length: {content_length}"
    return (
        f"POST /api/v1/ HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{length}\r\n\r\n"
    ).encode()


def _blocks(size: int, head: bytes) -> Iterator[bytes]:
    """`size` bytes of a multipart body that starts with `head`, in blocks."""
    first = head[:size]
    yield first
    remaining = size - len(first)
    while remaining > 0:
        block = BLOCK[:remaining]
        remaining -= len(block)
        yield block


def _status(sock: socket.socket) -> int:
    """The status code of the answer (its first line), waiting for it up to ANSWER_TIMEOUT."""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    received = b""
    while b"\r\n" not in received and time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    if not received.startswith(b"HTTP/1.1 "):
        raise ConnectionError(f"no HTTP answer, got {received[:100]!r}")
    return int(received.split(b" ", 2)[1])
