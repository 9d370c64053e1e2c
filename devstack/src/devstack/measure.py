"""What the benchmarks measure about the stack's processes."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psutil


@contextmanager
def peak_rss(*pids: int, interval: float = 0.02) -> Iterator[dict[int, int]]:
    """Peak resident memory of each process while the block runs: the largest of it and its children
    (gunicorn's workers), sampled every `interval` seconds."""
    peaks = dict.fromkeys(pids, 0)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in pids:
                for member in process_tree(pid):
                    with suppress(psutil.NoSuchProcess):
                        peaks[pid] = max(peaks[pid], member.memory_info().rss)
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peaks
    finally:
        done.set()
        sampler.join()


def cpu_seconds(*pids: int) -> float:
    """CPU time (user + system) so far of the processes and their live children, in seconds."""
    total = 0.0
    for pid in pids:
        with suppress(psutil.NoSuchProcess):
            for member in process_tree(pid):
                with suppress(psutil.NoSuchProcess):
                    times = member.cpu_times()
                    total += times.user + times.system
    return total


def process_tree(pid: int) -> list[psutil.Process]:
    """The process and its live children (gunicorn's workers, Chromium's renderers)."""
    process = psutil.Process(pid)
    return [process, *process.children(recursive=True)]
