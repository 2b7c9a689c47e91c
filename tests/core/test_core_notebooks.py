"""Every notebook in ``notebooks/`` runs top to bottom without an error, in a scratch folder."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert any(p.name == "01_quickstart.ipynb" for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    if path.name == "01_quickstart.ipynb":
        text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
        assert "reloaded graph gives identical spikes" in text
        assert "step-by-step equals run" in text
        assert any("image/png" in out.get("data", {}) for out in outputs), "no raster plot"
    if path.name == "02_deploy_to_hardware.ipynb":
        text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
        assert "numba fixed == reference fixed: True" in text
        assert "NetX round trip gives the same spikes: True" in text
        assert "per-op figures of Loihi 1" in text
        assert "nJ per sample" in text
