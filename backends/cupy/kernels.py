"""Loading the backend's CUDA kernels: one ``.cu`` file per job, compiled once per variant.

A variant is a kernel name with its C++ template arguments (``population_chunk<float, f16, 1,
0>``); CuPy compiles it with NVRTC on first use and keeps it (in memory here, on disk in CuPy's
cache). ``NVRTC_OPTIONS`` are exactly the options passed to CuPy, and ``all_variants()`` lists
every variant the backend can request, so the test suite compile-checks them without a GPU.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from dataclasses import dataclass
from pathlib import Path

KERNEL_DIR = Path(__file__).resolve().parent


def _sources_digest() -> str:
    digest = hashlib.sha1()
    for path in sorted(KERNEL_DIR.glob("*.cu*")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


#: Options for every kernel. ``--fmad=false`` keeps a*b + c as two rounded operations, as in the
#: numpy reference; ``-I`` finds ``scalar.cuh``; the digest of all kernel files enters CuPy's
#: cache key, which otherwise sees only the ``.cu`` text and would miss edits to the header.
NVRTC_OPTIONS: tuple[str, ...] = (
    "--std=c++17",
    "--fmad=false",
    f"-I{KERNEL_DIR}",
    f"-DSPIKESIM_KERNELS_DIGEST=0x{_sources_digest()}",
)

#: numpy / torch dtype name -> the C++ storage type the kernels use for it.
C_TYPES = {"float64": "double", "float32": "float", "float16": "f16", "bfloat16": "bf16"}

#: Steps per unrolled block of the training kernels, whose loads are all issued before the
#: block's recurrence, and how many blocks ahead they ask L2 for their inputs. Measured on an
#: H200 (benchmarks/results_cupy.md, run 6): the best pair of each kernel at n = 4096.
FORWARD_UNROLL, FORWARD_PREFETCH = 8, 1
BACKWARD_UNROLL, BACKWARD_PREFETCH = 16, 1


@dataclass(frozen=True)
class Kernel:
    """A templated ``__global__`` function in ``file``; ``params`` name its template arguments."""

    file: str
    name: str
    params: tuple[str, ...]

    def expression(self, **args) -> str:
        """The C++ name expression, e.g. ``deliver_csr<float>``, from the template arguments."""
        missing = set(self.params) - set(args)
        if missing or set(args) - set(self.params):
            raise TypeError(
                f"{self.name}: expected template arguments {self.params}, got {sorted(args)}"
            )
        values = ", ".join(
            str(int(v)) if isinstance(v, bool) else str(v) for v in (args[p] for p in self.params)
        )
        return f"{self.name}<{values}>"


LIF_FORWARD = Kernel(
    "lif_train_forward.cu",
    "lif_train_forward",
    ("T_IO", "T_SAVE", "SPIKING", "RESET_SUBTRACT", "UNROLL", "PREFETCH"),
)
LIF_BACKWARD = Kernel(
    "lif_train_backward.cu",
    "lif_train_backward",
    (
        "T_IO",
        "T_SAVE",
        "SPIKING",
        "RESET_SUBTRACT",
        "SURROGATE",
        "GRAD_SCALAR",
        "UNROLL",
        "PREFETCH",
    ),
)
POPULATION = Kernel(
    "population.cu", "population_chunk", ("T_VAL", "T_STATE", "SPIKING", "RESET_SUBTRACT")
)
DELIVER_CSR = Kernel("deliver_csr.cu", "deliver_csr", ("T_VAL", "LANES"))
#: Threads per CSR row: one, or a warp (see deliver_csr.cu).
CSR_LANES = (1, 32)

#: Simulation precision -> (value type of inputs, weights and rings; state storage type).
SIM_TYPES = {
    "float64": ("double", "double"),
    "float32": ("float", "float"),
    "float16": ("float", "f16"),
}
#: Training: activation dtypes and saved-membrane dtypes the autograd function accepts.
TRAIN_IO_TYPES = ("float", "f16", "bf16")
TRAIN_SAVE_TYPES = ("f16", "float")
SURROGATE_IDS = {"atan": 0, "superspike": 1}


def source(file: str) -> str:
    """Text of a kernel file of this package."""
    return (KERNEL_DIR / file).read_text()


def population_template(val: str, state: str, spiking: bool, subtract: bool) -> dict:
    """Template arguments of ``population_chunk``; LI ignores the reset, so it has one form."""
    return dict(
        T_VAL=val, T_STATE=state, SPIKING=int(spiking), RESET_SUBTRACT=int(spiking and subtract)
    )


def train_template(io: str, save: str, spiking: bool, subtract: bool, **backward) -> dict:
    """Template arguments of the training kernels: the forward's, or with ``backward``
    (SURROGATE, GRAD_SCALAR) the backward's.

    LI saves nothing and has no surrogate or reset, so those arguments collapse to one value.
    """
    unroll, prefetch = (
        (BACKWARD_UNROLL, BACKWARD_PREFETCH) if backward else (FORWARD_UNROLL, FORWARD_PREFETCH)
    )
    args = dict(
        T_IO=io,
        T_SAVE=save if spiking else "f16",
        SPIKING=int(spiking),
        RESET_SUBTRACT=int(spiking and subtract),
        UNROLL=unroll,
        PREFETCH=prefetch,
        **backward,
    )
    if not spiking and "SURROGATE" in args:
        args["SURROGATE"] = 0
    return args


def all_variants() -> list[tuple[Kernel, str]]:
    """Every (kernel, name expression) the backend and the autograd function can launch."""
    found: dict[tuple[Kernel, str], None] = {}
    for (val, state), spiking, sub in itertools.product(SIM_TYPES.values(), (1, 0), (0, 1)):
        found[
            POPULATION, POPULATION.expression(**population_template(val, state, spiking, sub))
        ] = None
    for val, lanes in itertools.product(sorted({v for v, _ in SIM_TYPES.values()}), CSR_LANES):
        found[DELIVER_CSR, DELIVER_CSR.expression(T_VAL=val, LANES=lanes)] = None
    for io, save, spiking, sub in itertools.product(
        TRAIN_IO_TYPES, TRAIN_SAVE_TYPES, (1, 0), (0, 1)
    ):
        found[LIF_FORWARD, LIF_FORWARD.expression(**train_template(io, save, spiking, sub))] = None
        for sg, scalar in itertools.product(SURROGATE_IDS.values(), (0, 1)):
            args = train_template(io, save, spiking, sub, SURROGATE=sg, GRAD_SCALAR=scalar)
            found[LIF_BACKWARD, LIF_BACKWARD.expression(**args)] = None
    return list(found)


@functools.cache
def get(kernel: Kernel, expression: str):
    """The compiled ``cupy.RawKernel`` of one variant (compiled on first use, then cached)."""
    import cupy

    module = cupy.RawModule(
        code=source(kernel.file), options=NVRTC_OPTIONS, name_expressions=[expression]
    )
    return module.get_function(expression)


def launcher(kernel: Kernel, elems: int, block: int = 256, **template):
    """A function of the kernel's arguments that launches one thread per element (``elems`` of
    them) on CuPy's current stream; it does nothing when ``elems`` is 0."""
    if elems == 0:
        return lambda args: None
    function = get(kernel, kernel.expression(**template))
    grid = ((elems + block - 1) // block,)
    return lambda args: function(grid, (block,), args)


def launch(kernel: Kernel, args: tuple, elems: int, block: int = 256, **template) -> None:
    """Launch one thread per element (``elems`` of them) on CuPy's current stream."""
    launcher(kernel, elems, block, **template)(args)
