"""`make bench`'s runner: figures recorded by real benchmark subprocesses, the page written from them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from devstack import bench
from devstack.bench_results import ENVIRONMENT_VARIABLE, Better, Figure, read, record


def test_record_writes_nothing_when_no_runner_asks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    record("upload", "speed", 10.0, "MiB/s")
    assert list(tmp_path.iterdir()) == []


def test_record_appends_one_json_line_per_figure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, str(results))
    record("upload", "speed", 10, "MiB/s", ceiling=20.0, ceiling_label="boto3")
    record("upload", "ratio", 0.5, "x", target=">= 0.9x", better="higher", limit=0.9)
    lines = results.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["ceiling"] == 20.0
    assert read(results) == [
        Figure("upload", "speed", 10.0, "MiB/s", ceiling=20.0, ceiling_label="boto3"),
        Figure("upload", "ratio", 0.5, "x", ">= 0.9x", "higher", 0.9),
    ]


@pytest.mark.parametrize(
    ("better", "limit", "strict", "value", "met"),
    [
        ("higher", 0.9, False, 0.9, True),
        ("higher", 0.9, False, 0.89, False),
        ("lower", 200, True, 200, False),
        ("lower", 200, True, 199.9, True),
        ("lower", 0, False, 0, True),
        ("lower", 0, False, 1, False),
        (None, None, False, 5, None),
    ],
)
def test_a_figure_meets_its_target(
    better: Better | None, limit: float | None, strict: bool, value: float, met: bool | None
) -> None:
    assert Figure("b", "f", value, "ms", better=better, limit=limit, strict=strict).met() is met


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_record_refuses_what_is_not_a_number(value: float) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        record("upload", "speed", value, "MiB/s")


def test_record_refuses_a_limit_without_its_direction() -> None:
    with pytest.raises(ValueError, match="go together"):
        record("upload", "ratio", 0.5, "x", limit=0.9)


def _script(directory: Path, name: str, body: str) -> str:
    path = directory / f"{name}.py"
    path.write_text("from devstack.bench_results import record\n" + textwrap.dedent(body), encoding="utf-8")
    return str(path)  # absolute: REPO_ROOT / it is itself


def test_the_runner_writes_medians_and_names_a_failed_benchmark(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    counter = tmp_path / "runs"
    steady = _script(
        tmp_path,
        "steady",
        f"""
        from pathlib import Path
        counter = Path({str(counter)!r})
        run = len(counter.read_text()) if counter.exists() else 0
        counter.write_text("x" * (run + 1))
        print("speed", [30, 10, 20][run])
        record("steady", "speed", [30, 10, 20][run], "MiB/s", ceiling=40, ceiling_label="boto3")
        record("steady", "ratio", [30, 10, 20][run] / 40, "x", target=">= 0.9x", better="higher", limit=0.9)
        """,
    )
    broken = _script(tmp_path, "broken", 'print("it went wrong")\nraise SystemExit(3)\n')
    monkeypatch.setattr(
        bench,
        "BENCHMARKS",
        [
            bench.Benchmark("steady", "A steady one", steady, lambda options: []),
            bench.Benchmark("broken", "A broken one", broken, lambda options: []),
        ],
    )
    page = tmp_path / "benchmarks.md"

    assert bench.main(["--repeat", "3", "--output", str(page)]) == 1

    out, err = capsys.readouterr()
    assert "FAILED: broken" in err
    assert out.count("===== broken (run") == 2  # started and failed once: not run again
    assert out.count("===== steady (run") == 6
    text = page.read_text(encoding="utf-8")
    assert "| speed | 20 | 10 | 30 | MiB/s | boto3 40 MiB/s → 0.50× | — | — |" in text
    assert "| ratio | 0.50 | 0.25 | 0.75 | × | — | >= 0.9x | **no** |" in text
    assert "Targets met: 0 of 1." in text
    assert "**Failed: `broken`**" in text
    assert "**Failed** (exit status 3); the end of its output:" in text
    assert "it went wrong" in text
    assert "| run | full: 3 runs of each benchmark, in rounds |" in text


def test_a_benchmark_that_records_nothing_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    silent = _script(tmp_path, "silent", 'print("done, but no figure")\n')
    monkeypatch.setattr(
        bench, "BENCHMARKS", [bench.Benchmark("silent", "Silent", silent, lambda options: [])]
    )
    page = tmp_path / "benchmarks.md"

    assert bench.main(["--repeat", "1", "--output", str(page)]) == 1
    assert "**Failed** (it recorded no figure)" in page.read_text(encoding="utf-8")


def test_a_quick_run_leaves_out_what_it_says_and_runs_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    one = _script(tmp_path, "one", 'import sys\nrecord("one", "arguments", len(sys.argv) - 1, "")\n')
    monkeypatch.setattr(
        bench,
        "BENCHMARKS",
        [
            bench.Benchmark("one", "One", one, lambda options: ["--size", str(options.size)]),
            bench.Benchmark("long", "Long", one, lambda options: [], left_out_of_quick="it takes an hour"),
        ],
    )
    monkeypatch.setenv("BENCH_QUICK", "1")
    page = tmp_path / "benchmarks.md"

    assert bench.main(["--output", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert f"--size {bench.QUICK_SIZE}`: 1 run" in text
    assert "Not run in a quick run: `long` (it takes an hour)." in text
    assert "## long" not in text


def test_the_admin_benchmark_offers_the_backends_the_admin_defines() -> None:
    """From a shell with no Django settings and the admin's folder off sys.path, as `make bench` runs."""
    command = [sys.executable, "-m", "devstack.bench", "--backends", "nowhere"]
    environment = {"PATH": os.environ["PATH"]}

    refused = subprocess.run(command, cwd="/", env=environment, capture_output=True, text=True, check=False)

    assert refused.returncode == 2
    assert "invalid choice: 'nowhere' (choose from 'local', 's3', 'minio', 'file_api')" in refused.stderr
