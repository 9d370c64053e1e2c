"""The benchmarks' key figures in a structured form, for `make bench`'s page (docs/benchmarks.md).

A benchmark prints its numbers for people and, for each key figure, calls `record()`: when the environment
variable BENCH_RESULTS names a file, one JSON line is appended to it; otherwise nothing happens, so a
benchmark run by hand behaves as before. A target is a human string ("<= 50 ms") plus, when it is a
plain bound, `better` and `limit` so that the page can say whether it is met. A figure compared with a
ceiling measured in the same run (boto3's speed, say) carries that ceiling's value in the same unit; the
ratio itself, when it has a target, is recorded as a figure of its own (unit "x").
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

ENVIRONMENT_VARIABLE = "BENCH_RESULTS"

Better = Literal["higher", "lower"]


@dataclass(frozen=True)
class Figure:
    """One figure of one run of a benchmark."""

    benchmark: str
    figure: str
    value: float
    unit: str
    target: str | None = None
    better: Better | None = None
    limit: float | None = None
    strict: bool = False  # `limit` itself misses the target ("< 200 ms")
    ceiling: float | None = None
    ceiling_label: str | None = None

    def met(self) -> bool | None:
        """Whether the value meets the target; None when the target is not a plain bound."""
        if self.better is None or self.limit is None:
            return None
        if self.better == "higher":
            return self.value > self.limit if self.strict else self.value >= self.limit
        return self.value < self.limit if self.strict else self.value <= self.limit

    @classmethod
    def from_json(cls, line: str) -> Figure:
        fields: dict[str, Any] = json.loads(line)
        return cls(**fields)


def record(
    benchmark: str,
    figure: str,
    value: float,
    unit: str,
    *,
    target: str | None = None,
    better: Better | None = None,
    limit: float | None = None,
    strict: bool = False,
    ceiling: float | None = None,
    ceiling_label: str | None = None,
) -> None:
    """Appends the figure to the file named by BENCH_RESULTS, if set. `better` and `limit` come together
    (met when value >= limit, or <= for "lower"; `strict`: > or <); `ceiling` is in the figure's unit."""
    if (better is None) != (limit is None):
        raise ValueError(f"{benchmark}: {figure}: `better` and `limit` go together")
    if not math.isfinite(value):
        raise ValueError(f"{benchmark}: {figure}: {value} is not a number")
    path = os.environ.get(ENVIRONMENT_VARIABLE)
    if not path:
        return
    line = Figure(
        benchmark, figure, float(value), unit, target, better, limit, strict, ceiling, ceiling_label
    )
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(line), ensure_ascii=False) + "\n")


def read(path: Path) -> list[Figure]:
    """The figures a run recorded, in order; none if it recorded nothing."""
    if not path.exists():
        return []
    return [Figure.from_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
