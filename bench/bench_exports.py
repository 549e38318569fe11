"""How fast `lsrules.exports` reads a large image-box export, and how much memory it takes.

Generates a seeded export of image tasks with rectangle annotations (Label Studio JSON
and the same tasks as JSONL) in a temporary directory, then reads each file in a fresh
child process so that the peak resident memory reported is the reader's own.

    python bench/bench_exports.py [--tasks 200000] [--annotations 2] [--boxes 5] [--seed 7]
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LABELS = ["Car", "Truck", "Bus", "Bicycle", "Person"]


def make_task(task_id: int, annotations: int, boxes: int, generator: random.Random) -> dict:
    def box(number: int) -> dict:
        x, y = generator.uniform(0, 90), generator.uniform(0, 90)
        return {"id": f"r{task_id}-{number}", "from_name": "label", "to_name": "image",
                "type": "rectanglelabels", "original_width": 1920, "original_height": 1080,
                "image_rotation": 0,
                "value": {"x": x, "y": y, "width": generator.uniform(1, 100 - x),
                          "height": generator.uniform(1, 100 - y), "rotation": 0,
                          "rectanglelabels": [generator.choice(LABELS)]}}

    return {
        "id": task_id,
        "annotations": [{
            "id": task_id * annotations + number, "completed_by": generator.randint(1, 20),
            "result": [box(index) for index in range(boxes)],
            "was_cancelled": False, "ground_truth": False,
            "created_at": "2026-11-28T03:31:47.340574Z",
            "updated_at": "2026-11-28T03:31:48.982751Z",
            "lead_time": round(generator.uniform(1, 60), 3), "prediction": {},
            "result_count": boxes, "task": task_id, "project": 3, "parent_prediction": None,
        } for number in range(annotations)],
        "drafts": [], "predictions": [],
        "data": {"image": f"s3://bucket/images/{task_id:08d}.jpg"},
        "meta": {}, "created_at": "2026-11-28T03:31:46.538317Z", "inner_id": task_id,
        "total_annotations": annotations, "project": 3,
    }


def generate(directory: Path, tasks: int, annotations: int, boxes: int,
             seed: int) -> tuple[Path, Path]:
    generator = random.Random(seed)
    json_path, lines_path = directory / "export.json", directory / "export.jsonl"
    with open(json_path, "w", encoding="utf-8") as array, \
            open(lines_path, "w", encoding="utf-8") as lines:
        array.write("[\n")
        for task_id in range(tasks):
            text = json.dumps(make_task(task_id, annotations, boxes, generator))
            array.write(("," if task_id else "") + text + "\n")
            lines.write(text + "\n")
        array.write("]\n")
    return json_path, lines_path


CHILD = """
import resource, sys, time
from lsrules.exports import iter_annotations
started = time.perf_counter()
reader = iter_annotations(sys.argv[1])
regions = sum(len(item.annotation["result"]) for item in reader)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(reader.format, reader.stats.tasks, reader.stats.annotations, regions, seconds, peak)
"""

BASELINE = "import resource, lsrules.exports, ijson; " \
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)"


def measure(path: Path) -> dict:
    finished = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                              text=True, check=True)
    format_, tasks, annotations, regions, seconds, peak = finished.stdout.split()
    return {"format": format_, "tasks": int(tasks), "annotations": int(annotations),
            "regions": int(regions), "seconds": float(seconds), "peak": int(peak)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200_000)
    parser.add_argument("--annotations", type=int, default=2, help="per task")
    parser.add_argument("--boxes", type=int, default=5, help="per annotation")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    baseline = int(subprocess.run([sys.executable, "-c", BASELINE], capture_output=True,
                                  text=True, check=True).stdout)
    with tempfile.TemporaryDirectory(prefix="lsrules-bench-") as directory:
        started = time.perf_counter()
        paths = generate(Path(directory), options.tasks, options.annotations, options.boxes,
                         options.seed)
        print(f"generated {options.tasks} tasks x {options.annotations} annotations x "
              f"{options.boxes} boxes in {time.perf_counter() - started:.1f} s "
              f"(seed {options.seed}); interpreter + imports: {baseline / 1e6:.1f} MB RSS")
        print(f"{'file':<14}{'MB':>8}{'tasks/s':>10}{'annotations/s':>15}{'MB/s':>8}"
              f"{'peak RSS MB':>13}")
        for path in paths:
            result = measure(path)
            size = path.stat().st_size
            print(f"{path.name:<14}{size / 1e6:>8.1f}{result['tasks'] / result['seconds']:>10,.0f}"
                  f"{result['annotations'] / result['seconds']:>15,.0f}"
                  f"{size / 1e6 / result['seconds']:>8.1f}{result['peak'] / 1e6:>13.1f}")


if __name__ == "__main__":
    main()
