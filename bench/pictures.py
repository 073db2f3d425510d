"""How long the pictures take to draw: the confidence chart (3 mentees × 10 check-ins, as a
digest or a mentee's detail sends it) and the vision map, each rendered to PNG bytes in this
process with the shipped catalog. One drawing is CPU work on the event loop, so its time is what
one mentor's digest (or one finished vision map) adds.

    python bench/pictures.py [--count N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date, timedelta

from bench.common import TIMING_HEADERS, Timing, environment_lines, table, timing_rows
from prompts.catalog import default_catalog
from service.mentors.charts import ChartLine, confidence_chart
from service.vision_map import VisionMap, vision_picture

VISION = {"milestones": ["Ausbildung zur Mechanikerin", "Abendkurse in Technik"],
          "present": "Technikerin in einer kleinen Werkstatt", "future": "Das Wartungsteam leiten",
          "steps": ["Ein kleines Projekt leiten dürfen", "Einen Führungskurs besuchen"],
          "first_step": ["Einen Führungskurs besuchen"], "first_step_date": "2026-12-12"}


def chart_series() -> list[ChartLine]:
    start = date(2026, 9, 4)
    return [ChartLine(name, tuple((start + timedelta(days=7 * n), 1 + (n * 3 + shift) % 10)
                                  for n in range(10)))
            for shift, name in enumerate(("Ana", "Jürgen", "Zoë"))]


def timed(label: str, count: int, draw: Callable[[], object]) -> Timing:
    """`count` drawings after one to warm up."""
    draw()  # warm: fonts loaded, templates compiled
    timing = Timing(label, [])
    begun = time.perf_counter_ns()
    for _ in range(count):
        start = time.perf_counter_ns()
        draw()
        timing.latencies_ns.append(time.perf_counter_ns() - start)
    timing.wall_ns = time.perf_counter_ns() - begun
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30, help="drawings of each picture")
    count = parser.parse_args().count
    catalog = default_catalog()
    series = chart_series()
    vision = VisionMap.from_answers(VISION)
    timings = [
        timed("confidence chart, 3 mentees × 10 check-ins", count,
              lambda: confidence_chart(series, "de", catalog)),
        timed("vision map", count, lambda: vision_picture(vision, "de", catalog, "Jürgen")),
    ]
    print("\n".join(environment_lines()))
    print()
    print(table(TIMING_HEADERS, timing_rows(timings)))


if __name__ == "__main__":
    main()
