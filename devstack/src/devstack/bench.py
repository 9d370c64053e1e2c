"""`make bench`: every benchmark of the project in one go, and docs/benchmarks.md written from their figures.

Each benchmark is a script that starts its own throwaway stack on 127.0.0.1 (file_api/benchmarks/,
admin_panel/benchmarks/). This runs each as a subprocess with BENCH_RESULTS set (see bench_results.py),
--repeat times in rounds (every benchmark once, then again, so that a change in the machine's load falls
on all of them), streams their output, and writes the page: the machine, then per benchmark each figure's
median, min and max over the runs, its ceiling and ratio, its target and whether the median meets it.
Benchmarks print numbers; none fails on a timing. A benchmark that fails (exits non-zero or records no
figure) is listed on the page, the others are still written, and the runner exits 1 naming it.

    python -m devstack.bench                      # every benchmark, 3 runs each, SIZE 1024 MiB
    BENCH_QUICK=1 python -m devstack.bench        # 1 run, small sizes, fewer ways: under three minutes
    python -m devstack.bench --only upload range-seek --repeat 5 --size 256
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import psutil

from devstack.bench_results import ENVIRONMENT_VARIABLE, Figure, read
from devstack.services import storage_backends
from devstack.settings import REPO_ROOT

QUICK_SIZE = 64  # MiB
FULL_SIZE = 1024
TAIL_LINES = 20  # of a failed benchmark's output, on the page


@dataclass(frozen=True)
class Options:
    quick: bool
    size: int
    backends: Sequence[str]


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    script: str  # from the repository's root
    arguments: Callable[[Options], list[str]]
    left_out_of_quick: str = ""  # why a quick run skips it (listed on the page); empty: it runs

    def command(self, options: Options) -> list[str]:
        return [sys.executable, str(REPO_ROOT / self.script), *self.arguments(options)]

    def shown(self, options: Options) -> str:
        return " ".join(["python", self.script, *self.arguments(options)])


def _sized(*extra: str, quick: Sequence[str] = ()) -> Callable[[Options], list[str]]:
    return lambda options: ["--size", str(options.size), *(quick if options.quick else extra)]


BENCHMARKS = [
    Benchmark(
        "transfer",
        "A film up and down through FileAPI, its peak memory",
        "file_api/benchmarks/transfer.py",
        _sized(),
        left_out_of_quick="its figures, FileAPI's speed and memory up and down, are also `upload`'s and "
        "`download`'s, and one stack more does not fit in three minutes",
    ),
    Benchmark(
        "upload",
        "Upload through FileAPI against boto3's multipart upload to the same S3",
        "file_api/benchmarks/upload_throughput.py",
        _sized("--runs", "3", quick=["--runs", "2"]),
    ),
    Benchmark(
        "download",
        "Download through nginx and from FileAPI against boto3's download from the same S3",
        "file_api/benchmarks/download_throughput.py",
        _sized("--runs", "3", quick=["--runs", "2"]),
    ),
    Benchmark(
        "range-seek",
        "Range seek: random 64 KiB ranges on FileAPI's link through nginx against boto3's ranged GET",
        "file_api/benchmarks/range_seek.py",
        _sized("--count", "500", quick=["--count", "50"]),
    ),
    Benchmark(
        "viewers",
        "Slow viewers: metadata latency, uploads and health while viewers download at 20 KB/s",
        "file_api/benchmarks/slow_viewers.py",
        # Its film size is its own (64 MiB): viewers at 20 KB/s read a few MiB of it, whatever SIZE is.
        # Quick: only through nginx, where FileAPI's links point (FileAPI direct is for comparison).
        lambda options: (
            ["--viewers", "50", "--seconds", "5", "--size", "16", "--via", "nginx"] if options.quick else []
        ),
    ),
    Benchmark(
        "aborts",
        "Aborted uploads: what uploads that never complete leave in FileAPI",
        "file_api/benchmarks/aborted_uploads.py",
        # Quick: 40 uploads under a 16 MiB limit (not 64), so that they move a quarter of the bytes.
        lambda options: ["--count", "40", "--limit", "16"] if options.quick else [],
    ),
    Benchmark(
        "admin",
        "The admin's upload widget in headless Chromium, per storage backend, against boto3",
        "admin_panel/benchmarks/admin_upload.py",
        lambda options: ["--size", str(options.size), "--backends", *options.backends],
    ),
]


@dataclass
class Run:
    seconds: float
    returncode: int
    figures: list[Figure]
    tail: list[str]

    @property
    def failed(self) -> bool:
        return self.returncode != 0 or not self.figures


@dataclass
class Outcome:
    benchmark: Benchmark
    runs: list[Run] = field(default_factory=list)

    @property
    def failure(self) -> Run | None:
        return next((run for run in self.runs if run.failed), None)


def run_once(benchmark: Benchmark, options: Options, scratch: Path, label: str) -> Run:
    """One run of the benchmark, its output streamed to ours as it comes."""
    results = scratch / f"{benchmark.name}-{label.replace('/', '-')}.jsonl"
    print(f"\n===== {benchmark.name} ({label}): {benchmark.shown(options)}", flush=True)
    environment = os.environ | {ENVIRONMENT_VARIABLE: str(results), "PYTHONUNBUFFERED": "1"}
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    started = time.perf_counter()
    with subprocess.Popen(
        benchmark.command(options),
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            tail.append(line.rstrip("\n"))
    run = Run(time.perf_counter() - started, process.returncode, read(results), list(tail))
    verdict = "FAILED" if run.failed else "done"
    why = (
        f", exit status {run.returncode}"
        if run.returncode
        else (", no figure recorded" if run.failed else "")
    )
    print(f"===== {benchmark.name} ({label}): {verdict} in {run.seconds:.0f} s{why}", flush=True)
    return run


def run_all(selected: Sequence[Benchmark], options: Options, repeat: int) -> list[Outcome]:
    outcomes = [Outcome(benchmark) for benchmark in selected]
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        for round_ in range(1, repeat + 1):
            for outcome in outcomes:
                if outcome.failure is None:  # a failed benchmark is not run again
                    label = f"run {round_}/{repeat}"
                    outcome.runs.append(run_once(outcome.benchmark, options, Path(scratch), label))
    return outcomes


# --- The page ---


def machine() -> list[tuple[str, str]]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    physical = psutil.cpu_count(logical=False)
    cores = f"{os.cpu_count()} logical" + (f", {physical} physical" if physical else "")
    os_name = platform.platform()
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.partition('=')[2].strip(chr(34))}, Linux {platform.release()}"
    return [
        ("CPU", f"{cpu}, {cores}"),
        ("RAM", f"{psutil.virtual_memory().total / 1024**3:.1f} GiB"),
        ("OS", os_name),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
    ]


def git_commit() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return result.stdout.strip() if result.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no")
    return f"`{commit}`" + (" with uncommitted changes" if changed else "")


def number(value: float, unit: str = "") -> str:
    if unit == "x":
        return f"{value:.2f}"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    magnitude = abs(value)
    digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2
    return f"{value:.{digits}f}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def with_unit(value: float, unit: str) -> str:
    return f"{number(value, unit)}×" if unit == "x" else f"{number(value)} {unit}".strip()


@dataclass(frozen=True)
class Row:
    """One figure of a benchmark over its runs."""

    figure: str
    values: list[float]
    unit: str
    ceiling: str  # "boto3 100 MiB/s → 0.94×", or "—"
    target: str
    met: bool | None  # of the median; None: no target, or not a plain bound
    runs_met: int

    def cells(self) -> list[str]:
        median, low, high = (number(value, self.unit) for value in self.statistics())
        met = "—" if self.met is None else "yes" if self.met else "**no**"
        if self.met is not None and len(self.values) > 1 and self.runs_met not in (0, len(self.values)):
            met += f" ({self.runs_met} of {len(self.values)} runs)"
        unit = "×" if self.unit == "x" else self.unit or "—"
        return [self.figure, median, low, high, unit, self.ceiling, self.target, met]

    def statistics(self) -> tuple[float, float, float]:
        return statistics.median(self.values), min(self.values), max(self.values)

    def summary(self) -> str:
        return f"{self.figure}: {with_unit(self.statistics()[0], self.unit)} (target {self.target})"


def figure_rows(runs: list[Run]) -> list[Row]:
    """A row per figure over the runs that did not fail, in the order the benchmark recorded them."""
    by_name: dict[str, list[Figure]] = {}
    for run in runs:
        if not run.failed:
            for figure in run.figures:
                by_name.setdefault(figure.figure, []).append(figure)
    rows = []
    for name, figures in by_name.items():
        first, values = figures[0], [figure.value for figure in figures]
        ceiling = "—"
        ceilings = [figure.ceiling for figure in figures if figure.ceiling is not None]
        if ceilings:
            ratios = [figure.value / figure.ceiling for figure in figures if figure.ceiling]
            ratio = f" → {number(statistics.median(ratios), 'x')}×" if ratios else ""
            label = first.ceiling_label or "ceiling"
            ceiling = f"{label} {with_unit(statistics.median(ceilings), first.unit)}{ratio}"
        met = replace(first, value=statistics.median(values)).met()
        runs_met = sum(bool(figure.met()) for figure in figures)
        rows.append(Row(name, values, first.unit, ceiling, first.target or "—", met, runs_met))
    return rows


@dataclass(frozen=True)
class Session:
    """What the page says about the whole run."""

    options: Options
    repeat: int
    started: datetime.datetime
    seconds: float
    left_out: list[Benchmark]  # of a quick run
    # The load average at the start and at the end: what else ran on the machine meanwhile.
    load: tuple[tuple[float, ...], tuple[float, ...]]


def render(outcomes: list[Outcome], session: Session) -> str:
    options, repeat = session.options, session.repeat
    failed = [outcome for outcome in outcomes if outcome.failure is not None]
    mode = (
        f"**quick** (`BENCH_QUICK=1`): small sizes, {plural(repeat, 'run')} each, to see that every "
        "benchmark runs; the figures to quote come from a full run (`make bench`)"
        if options.quick
        else f"full: {plural(repeat, 'run')} of each benchmark, in rounds"
    )
    start_load, end_load = (" ".join(f"{value:.2f}" for value in load) for load in session.load)
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`devstack/src/devstack/bench.py`) from the figures the benchmarks record:",
        "run it again rather than edit this page. Every service (Postgres, SeaweedFS, FileAPI, the admin,",
        "nginx) and every client ran on this one machine, on 127.0.0.1, sharing its cores. Each ratio is",
        "against a ceiling measured in the same run. Benchmarks print numbers and never fail on a timing:",
        '"met?" says whether the median meets the target.',
        "",
        "| machine | |",
        "| --- | --- |",
        *(f"| {key} | {value} |" for key, value in machine()),
        f"| date | {session.started:%Y-%m-%d %H:%M} UTC |",
        f"| commit | {git_commit()} |",
        f"| run | {mode} |",
        f"| load average (1, 5, 15 min) | {start_load} at the start, {end_load} at the end |",
        f"| total time | {session.seconds:.0f} s |",
        "",
    ]
    judged = [row for row in all_rows(outcomes) if row.met is not None]
    missed = [row for row in judged if not row.met]
    lines.append(f"Targets met: {len(judged) - len(missed)} of {len(judged)}.")
    if missed:
        lines += ["Not met:", "", *(f"- {row.summary()}" for row in missed)]
    if failed:
        names = ", ".join(f"`{outcome.benchmark.name}`" for outcome in failed)
        lines += ["", f"**Failed: {names}** (below, with the end of the output)."]
    for benchmark in session.left_out:
        lines += ["", f"Not run in a quick run: `{benchmark.name}` ({benchmark.left_out_of_quick})."]
    for outcome in outcomes:
        benchmark = outcome.benchmark
        times = ", ".join(f"{run.seconds:.0f}" for run in outcome.runs)
        lines += [
            "",
            f"## {benchmark.name}: {benchmark.title}",
            "",
            f"`{benchmark.shown(options)}`: {plural(len(outcome.runs), 'run')} ({times} s)",
            "",
        ]
        failure = outcome.failure
        if failure is not None:
            reason = f"exit status {failure.returncode}" if failure.returncode else "it recorded no figure"
            lines += [f"**Failed** ({reason}); the end of its output:", "", "```", *failure.tail, "```", ""]
        rows = figure_rows(outcome.runs)
        if rows:
            lines += [
                "| figure | median | min | max | unit | ceiling → ratio | target | met? |",
                "| --- | ---: | ---: | ---: | --- | --- | --- | --- |",
                *("| " + " | ".join(row.cells()) + " |" for row in rows),
            ]
    return "\n".join(lines).rstrip() + "\n"


def all_rows(outcomes: list[Outcome]) -> list[Row]:
    return [row for outcome in outcomes for row in figure_rows(outcome.runs)]


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    admin_backends = storage_backends()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", type=positive, help=f"film size in MiB (default {FULL_SIZE}; BENCH_QUICK=1: {QUICK_SIZE})"
    )
    parser.add_argument(
        "--repeat", type=positive, help="runs of each benchmark (default 3; BENCH_QUICK=1: 1)"
    )
    parser.add_argument("--only", nargs="+", choices=[benchmark.name for benchmark in BENCHMARKS])
    parser.add_argument(
        "--backends",
        nargs="+",
        choices=admin_backends,
        help="the admin widget's backends (default all; BENCH_QUICK=1: file_api)",
    )
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if quick else 3)
    options = Options(
        quick=quick,
        size=args.size or (QUICK_SIZE if quick else FULL_SIZE),
        backends=args.backends or (["file_api"] if quick else list(admin_backends)),
    )
    if args.only:  # what is named runs, quick or not
        selected, left_out = [benchmark for benchmark in BENCHMARKS if benchmark.name in args.only], []
    else:
        left_out = [benchmark for benchmark in BENCHMARKS if quick and benchmark.left_out_of_quick]
        selected = [benchmark for benchmark in BENCHMARKS if benchmark not in left_out]

    started, load, clock = datetime.datetime.now(datetime.UTC), os.getloadavg(), time.perf_counter()
    outcomes = run_all(selected, options, repeat)
    seconds = time.perf_counter() - clock
    session = Session(options, repeat, started, seconds, left_out, (load, os.getloadavg()))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(outcomes, session), encoding="utf-8")

    missed = [row for row in all_rows(outcomes) if row.met is False]
    if missed:
        print(
            "\ntargets not met (numbers, not failures):", *(f"  {row.summary()}" for row in missed), sep="\n"
        )
    for benchmark in left_out:
        print(f"not run in a quick run: {benchmark.name} ({benchmark.left_out_of_quick})")
    failed = [outcome.benchmark.name for outcome in outcomes if outcome.failure is not None]
    print(f"\n{plural(len(selected), 'benchmark')}, {plural(repeat, 'run')} each: {seconds:.0f} s in all")
    print(f"wrote {args.output}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
