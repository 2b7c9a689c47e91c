"""The wheel, not the editable install: every source file is packaged and every module imports.

An editable install reads the working tree, so it passes even when ``pyproject.toml`` forgets
a subpackage. These tests build the wheel from a copy of the repository's files, install it
into a plain scratch venv (no system site-packages) with only numpy and h5py beside it, and
import each module there. A module that fails only because an optional dependency (torch,
numba, cupy, tonic, lava, ...) is absent is reported as skipped, with that reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Source folder -> the package path it is installed as (pyproject's package-dir).
PACKAGE_DIRS = {
    "spikesim": "spikesim",
    "backends": "spikesim/backends",
    "datasets": "spikesim/datasets",
    "hardware": "spikesim/hardware",
}
#: Non-Python files that must ship (pyproject's package-data patterns).
DATA_SUFFIXES = (".cu", ".cuh", ".toml", ".yaml", ".h5")
#: Top-level import names of the optional dependencies (pyproject extras incl. dev, lava's venv).
OPTIONAL = {
    "torch", "torchvision", "numba", "llvmlite", "cupy", "cupyx", "tonic", "lava", "matplotlib",
    "rich", "yaml", "sklearn", "scipy", "norse", "nir", "nirtorch", "hypothesis", "pytest",
}
HEAVY = ("torch", "numba", "cupy", "tonic", "matplotlib")


def source_files() -> list[Path]:
    """Files under the package folders that git tracks or would track (not ignored)."""
    folders = list(PACKAGE_DIRS)
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *folders],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.split()
        files = [Path(p) for p in listed]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the folders
        files = [p.relative_to(ROOT) for d in folders for p in (ROOT / d).rglob("*") if p.is_file()]
    keep = (".py", *DATA_SUFFIXES)
    return sorted(p for p in files if p.suffix in keep and "__pycache__" not in p.parts and (ROOT / p).exists())


def wheel_path(source: Path) -> str:
    """Where a source file lands inside the wheel."""
    return "/".join([PACKAGE_DIRS[source.parts[0]], *source.parts[1:]])


def module_name(source: Path) -> str:
    parts = wheel_path(source)[: -len(".py")].split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = source_files()
MODULES = sorted(module_name(p) for p in SOURCES if p.suffix == ".py")


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> Path:
    """Build the wheel from a copy of exactly the files a clean clone would have."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    for path in SOURCES:
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, src / path)
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, f"wheel build failed:\n{build.stdout}\n{build.stderr}"
    (wheel,) = out.glob("spikesim-*.whl")
    return wheel


@pytest.fixture(scope="module")
def import_report(built_wheel, tmp_path_factory) -> dict[str, list[str]]:
    """Install the wheel into a plain venv and try to import every module there."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # numpy and h5py at the versions already installed here, so pip takes them from its cache.
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
         f"numpy=={version('numpy')}", f"h5py=={version('h5py')}", str(built_wheel)],
        capture_output=True, text=True,
    )
    assert install.returncode == 0, f"install failed:\n{install.stdout}\n{install.stderr}"
    probe = tmp_path_factory.mktemp("probe")
    (probe / "modules.json").write_text(json.dumps(MODULES))
    run = subprocess.run(
        [str(python), "-I", "-c", IMPORT_ALL, json.dumps(sorted(OPTIONAL))],
        cwd=probe, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


#: Runs inside the scratch venv: imports each module, prints {module: [status, detail]}.
IMPORT_ALL = """
import importlib, json, sys, traceback
from pathlib import Path
optional = set(json.loads(sys.argv[1]))
import spikesim
assert '/site-packages/' in spikesim.__file__, spikesim.__file__
report = {}
for name in json.loads(Path('modules.json').read_text()):
    try:
        importlib.import_module(name)
        report[name] = ['ok', '']
    except ImportError as err:
        root = (err.name or '').split('.')[0]
        if root in optional:
            report[name] = ['skip', f'needs optional dependency {root!r}: {err}']
        else:
            report[name] = ['fail', traceback.format_exc()]
    except Exception:
        report[name] = ['fail', traceback.format_exc()]
print(json.dumps(report))
"""


def test_every_source_file_is_in_the_wheel(built_wheel):
    with zipfile.ZipFile(built_wheel) as z:
        packaged = set(z.namelist())
    missing = [f"{p} -> {wheel_path(p)}" for p in SOURCES if wheel_path(p) not in packaged]
    assert not missing, "not in the wheel (add the package to pyproject.toml):\n" + "\n".join(missing)
    assert any(name.endswith("entry_points.txt") for name in packaged)  # the `spikesim` command


def test_core_modules_are_listed():
    # Guards the module list itself: an empty or wrong listing would make the tests vacuous.
    for name in ("spikesim", "spikesim.ir.graph", "spikesim.io.hdf5", "spikesim.backends.reference.step"):
        assert name in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_from_the_wheel(import_report, module):
    status, detail = import_report.get(module, ["fail", "not installed from the wheel"])
    if status == "skip":
        pytest.skip(detail)
    assert status == "ok", f"import {module} failed in a clean venv:\n{detail}"


def test_import_spikesim_loads_no_heavy_dependency():
    # Also compile, run and save with the reference backend: none of that may need them.
    code = f"""
import sys, tempfile, pathlib, numpy as np
import spikesim as ss
g = ss.Graph()
g.add("x", ss.Input(2)); g.add("h", ss.LIF.from_tau(3, 2e-2)); g.connect("x", "h", np.ones((3, 2)))
ss.compile(g).run(np.ones((5, 2)))
with tempfile.TemporaryDirectory() as d:
    ss.load(ss.save(g, pathlib.Path(d) / "m.h5"))
print(",".join(m for m in {HEAVY!r} if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"import spikesim loaded: {out.stdout.strip()}"
