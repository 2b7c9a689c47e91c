"""Rewrite the backend matrix in README.md from ``spikesim info --matrix``."""

import re
from pathlib import Path

from spikesim import backends
from spikesim.cli.info import capability_matrix

readme = Path(__file__).resolve().parents[1] / "README.md"
text = readme.read_text()
block = f"<!-- backend-matrix:start -->\n{capability_matrix(backends.status())}\n<!-- backend-matrix:end -->"
readme.write_text(re.sub(r"<!-- backend-matrix:start -->.*?<!-- backend-matrix:end -->", block, text, flags=re.S))
