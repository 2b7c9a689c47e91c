"""Assemble BENCHMARKS.md from its summary and the per-area results in benchmarks/results_*.md.

Each area's results file is written by that area's benchmark script (its command is at the
top of the file); this script only concatenates them, demoting their headings one level.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AREAS = ["numba", "cupy", "training", "datasets", "lava", "rram"]

summary = (ROOT / "benchmarks" / "SUMMARY.md").read_text().rstrip()
parts = [summary]
for area in AREAS:
    text = (ROOT / "benchmarks" / f"results_{area}.md").read_text().rstrip()
    text = re.sub(r"(?m)^(#+) ", lambda m: "#" + m.group(1) + " ", text)
    text = re.sub(r"\]\((?!https?:|#|\.\./)([^)]+)\)", r"](benchmarks/\1)", text)
    parts.append(f"<!-- from benchmarks/results_{area}.md -->\n{text}")
(ROOT / "BENCHMARKS.md").write_text("\n\n".join(parts) + "\n")
