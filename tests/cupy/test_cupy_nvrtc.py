"""Every kernel variant the CuPy backend can launch compiles with NVRTC (no GPU needed).

NVRTC is called through ``cuda-bindings`` with the backend's ``NVRTC_OPTIONS`` plus the
options CuPy itself appends (read from its compiler module below), for sm_90 (H100/H200; the
bf16 conversions need sm_80 or newer). nvcc accepts code that NVRTC rejects (host headers, implicit includes), hence NVRTC.
"""

from __future__ import annotations

import collections
import inspect

import pytest

nvrtc = pytest.importorskip(
    "cuda.bindings.nvrtc", reason="NVRTC checks need cuda-bindings and nvidia-cuda-nvrtc (pip)"
)

from spikesim.backends.cupy import kernels  # noqa: E402

#: Options CuPy 14's ``_compile_with_cache_cuda`` / ``_compile`` add to ours (the arch is added per GPU).
CUPY_APPENDED = ("-ftz=true", "--device-as-default-execution-space")


def _check(err) -> None:
    assert err == nvrtc.nvrtcResult.NVRTC_SUCCESS, err


def _compile(file: str, expressions: list[str], arch: str) -> tuple[str, dict[str, str]]:
    """Compile one kernel file with all its variants; returns (log, {expression: lowered name})."""
    err, prog = nvrtc.nvrtcCreateProgram(kernels.source(file).encode(), file.encode(), 0, [], [])
    _check(err)
    for expr in expressions:
        _check(nvrtc.nvrtcAddNameExpression(prog, expr.encode())[0])
    options = [o.encode() for o in (*kernels.NVRTC_OPTIONS, *CUPY_APPENDED, f"-arch={arch}")]
    (result,) = nvrtc.nvrtcCompileProgram(prog, len(options), options)
    err, size = nvrtc.nvrtcGetProgramLogSize(prog)
    log = b" " * size
    nvrtc.nvrtcGetProgramLog(prog, log)
    log = log.decode(errors="replace").rstrip("\x00 ")
    assert result == nvrtc.nvrtcResult.NVRTC_SUCCESS, f"{file} ({arch}) failed:\n{log}"
    lowered = {}
    for expr in expressions:
        err, name = nvrtc.nvrtcGetLoweredName(prog, expr.encode())
        _check(err)
        lowered[expr] = name.decode()
    nvrtc.nvrtcDestroyProgram(prog)
    return log, lowered


def test_cupy_still_appends_the_options_we_replicate():
    import cupy.cuda.compiler as cc

    body = inspect.getsource(cc._compile_with_cache_cuda) + inspect.getsource(
        cc._compile_using_nvrtc_no_warning
    )
    for option in CUPY_APPENDED:
        assert f"'{option}'" in body, f"CuPy no longer appends {option}; update CUPY_APPENDED"


@pytest.mark.parametrize("arch", ["sm_90"])
def test_every_kernel_variant_compiles_with_nvrtc(arch):
    by_file = collections.defaultdict(list)
    for kernel, expr in kernels.all_variants():
        by_file[kernel.file].append(expr)
    assert set(by_file) == {p.name for p in kernels.KERNEL_DIR.glob("*.cu")}, (
        "a .cu file is never launched"
    )
    for file, expressions in by_file.items():
        log, lowered = _compile(file, expressions, arch)
        assert "warning" not in log.lower(), f"{file}: {log}"
        assert all(name.startswith("_Z") for name in lowered.values()), lowered


def test_variant_names_are_checked():
    with pytest.raises(TypeError, match="template arguments"):
        kernels.POPULATION.expression(T_VAL="float")
    assert kernels.DELIVER_CSR.expression(T_VAL="double", LANES=32) == "deliver_csr<double, 32>"
