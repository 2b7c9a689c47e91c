#!/usr/bin/env python3
"""GPU benchmarks of the CuPy backend against torch peers, one subcommand per measurement.

Every subcommand prints JSON lines (one per measured configuration) and appends them to
``--out`` (a .jsonl file); ``report`` turns that file into markdown. Timing: CUDA events,
median of ``--reps`` calls after 3 warm-ups (the method of ../shared/peers/gpu/w1.py).

    python benchmarks/cupy_gpu.py env     --out r.jsonl    # GPU, versions, copy bandwidth
    python benchmarks/cupy_gpu.py kernels --out r.jsonl    # the fused LIF kernels alone
    python benchmarks/cupy_gpu.py linear  --out r.jsonl    # W1's Linear alone: the matmul floor
    python benchmarks/cupy_gpu.py w1 --lib spikesim|sj|norse --out r.jsonl
    python benchmarks/cupy_gpu.py w2      --out r.jsonl    # simulation, batch 256
    python benchmarks/cupy_gpu.py parity  --out r.jsonl    # fp32 vs tf32 vs bf16 training on shd-synth
    python benchmarks/cupy_gpu.py report  --out r.jsonl > report.md

W1 (Open Neuromorphic shape): Linear(n, n) + LIF, batch 16, T = 500, binary input at 10 %
density, forward + backward of out.sum(). "Neuron part" = W1 minus the same Linear alone at
the same precision; the LIF is also timed alone on a ready input that requires grad.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from streaming_ways import ways

T, B = 500, 16
GIB = 2**30


def emit(out: Path, **record) -> dict:
    """Print one JSON line and append it to ``out``."""
    line = json.dumps(record)
    print(line, flush=True)
    with out.open("a") as f:
        f.write(line + "\n")
    return record


def cuda_time(fn, reps: int = 10, warm: int = 3) -> float:
    """Median milliseconds of ``fn`` over ``reps`` calls, CUDA events, after ``warm`` calls."""
    import torch

    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def gpu_kernel_ms(fn, calls: int = 5, warm: int = 2) -> tuple[float, dict[str, float]]:
    """Device time of the kernels one call of ``fn`` launches (torch.profiler, mean of ``calls``),
    and that time per kernel name. Unlike event timing around the call, it holds no launch gaps,
    so the difference of two workloads is the time of the kernels that differ."""
    import torch

    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
    per_kernel = {
        event.key: event.self_device_time_total / calls / 1e3
        for event in prof.key_averages()
        if event.self_device_time_total > 0
    }
    return sum(per_kernel.values()), per_kernel


def _largest(per_kernel: dict[str, float], count: int = 6) -> dict[str, float]:
    """The ``count`` largest kernels, names cut to 90 characters, in ms."""
    top = sorted(per_kernel.items(), key=lambda item: -item[1])[:count]
    return {name[:90]: round(ms, 4) for name, ms in top}


@contextlib.contextmanager
def precision(mode: str):
    """The forward's precision: bf16 autocasts to bfloat16; fp32 and tf32 change nothing here
    (TF32 is a matmul flag, scoped over forward and backward by :func:`matmul_flags`)."""
    import torch

    if mode == "bf16":
        with torch.autocast("cuda", dtype=torch.bfloat16):
            yield
    else:
        yield


@contextlib.contextmanager
def matmul_flags(mode: str):
    """TF32 matmuls inside this block only when ``mode == "tf32"``; the flag is restored after."""
    import torch

    old = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old


# -- env -----------------------------------------------------------------------------------------


def cmd_env(args) -> None:
    import cupy
    import torch

    a = torch.empty(2**28, dtype=torch.float32, device="cuda")
    b = torch.empty_like(a)
    ms = cuda_time(lambda: b.copy_(a))
    emit(
        args.out,
        kind="env",
        gpu=torch.cuda.get_device_name(),
        torch=torch.__version__,
        cupy=cupy.__version__,
        cuda_runtime=cupy.cuda.runtime.runtimeGetVersion(),
        copy_TBps=round(2 * a.numel() * 4 / ms / 1e9, 3),
    )


# -- W1 ------------------------------------------------------------------------------------------


def _input(n: int):
    import torch

    g = torch.Generator(device="cuda").manual_seed(n)
    return (torch.rand(T, B, n, device="cuda", generator=g) < 0.1).float()


def _measure(name: str, n: int, mode: str, model, x, args, extra=None) -> None:
    """fwd, fwd+bwd time and peak memory of ``model(x)``; spikes of one forward."""
    import torch

    params = list(model.parameters())

    def step():
        for p in params:
            p.grad = None
        with matmul_flags(mode):
            with precision(mode):
                out = model(x)
            out.sum().backward()  # the gradient is one expanded value, as in the peers' harness

    def fwd():
        with torch.no_grad(), matmul_flags(mode), precision(mode):
            model(x)

    try:
        fwd_ms = cuda_time(fwd, args.reps)
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        fb_ms = cuda_time(step, args.reps)
        peak = torch.cuda.max_memory_allocated() / GIB
        kernel_ms, per_kernel = gpu_kernel_ms(step)
        with torch.no_grad(), precision(mode):
            spikes = float(model(x).float().sum())
        emit(
            args.out,
            kind="w1",
            lib=name,
            n=n,
            precision=mode,
            fwd_ms=round(fwd_ms, 3),
            fwdbwd_ms=round(fb_ms, 3),
            peak_gib=round(peak, 3),
            kernel_ms=round(kernel_ms, 4),
            largest_kernels_ms=_largest(per_kernel),
            out_spikes=spikes,
            **(extra or {}),
        )
    except Exception as err:  # report and keep going: one library failing must not hide the rest
        emit(args.out, kind="w1", lib=name, n=n, precision=mode, error=repr(err)[:400])


def _lif_alone(name: str, n: int, mode: str, lif, args) -> None:
    """The neuron layer by itself: fwd+bwd on a ready [T, B, n] input that requires grad."""
    import torch

    dtype = torch.bfloat16 if mode == "bf16" else torch.float32
    g = torch.Generator(device="cuda").manual_seed(7)
    x = (
        (torch.randn(T, B, n, device="cuda", generator=g) * 0.5 + 0.3)
        .to(dtype)
        .requires_grad_(True)
    )

    def step():
        x.grad = None
        lif(x).sum().backward()

    def fwd():
        with torch.no_grad():
            lif(x)

    try:
        emit(
            args.out,
            kind="lif_alone",
            lib=name,
            n=n,
            precision=mode,
            fwd_ms=round(cuda_time(fwd, args.reps), 3),
            fwdbwd_ms=round(cuda_time(step, args.reps), 3),
        )
    except Exception as err:
        emit(args.out, kind="lif_alone", lib=name, n=n, precision=mode, error=repr(err)[:400])


def _spikesim_lif(n: int):
    import torch

    from spikesim.torch.lif import Coefficients, lif_multistep
    from spikesim.torch.surrogate import Surrogate

    def vec(v):
        return torch.full((n,), float(v), device="cuda")

    coeffs = Coefficients(
        alpha=vec(0),
        beta=vec(0.9),
        input_gain=vec(1),
        current_gain=vec(1),
        bias=vec(0),
        v_th=vec(1),
        v_reset=vec(0),
        v_init=vec(0),
    )
    surrogate = Surrogate("atan", 2.0)

    def lif(cur):
        return lif_multistep(cur, coeffs, surrogate, True, "zero")

    lif.coeffs, lif.surrogate = coeffs, surrogate
    return lif


def _spikesim_torch_fallback(n: int):
    """spikesim.torch's plain-torch LIF (what runs without cupy), same neuron settings."""
    from spikesim.torch.lif import _LIFFunction

    cupy_lif = _spikesim_lif(n)
    coeffs, surrogate = cupy_lif.coeffs, cupy_lif.surrogate
    return lambda cur: _LIFFunction.apply(cur, coeffs, surrogate, True, "zero")


def _w1_model(n: int, lif):
    import torch

    class W1(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(n, n)

        def forward(self, x):
            return lif(self.fc(x))

    return W1().cuda()


def _sj_lif(n: int):
    """SpikingJelly multi-step LIF (tau = 10, ATan, detached reset): 0.0.0.0.14 with
    backend='cupy', 2.x with SJ_LIF_CUDA_IMPLEMENTATION (set before the call)."""
    import importlib.metadata as md

    for name, kind in (("int", int), ("float", float), ("bool", bool)):  # 0.0.0.0.14 on numpy 2
        if not hasattr(np, name):
            setattr(np, name, kind)
    from spikingjelly.activation_based import functional, neuron, surrogate

    version = md.version("spikingjelly")
    kw = dict(tau=10.0, step_mode="m", surrogate_function=surrogate.ATan(), detach_reset=True)
    node = (
        neuron.LIFNode(backend="cupy", **kw) if version.startswith("0.") else neuron.LIFNode(**kw)
    )

    def run(cur):
        functional.reset_net(node)
        return node(cur)

    return version, run


def _norse_lif(n: int):
    import norse.torch as nt

    lif = nt.LIF(nt.LIFParameters(), dt=1e-3).cuda()
    return lambda cur: lif(cur)[0]


def cmd_w1(args) -> None:
    import torch

    for n in args.sizes:
        x = _input(n)
        if args.lib == "spikesim":
            lif = _spikesim_lif(n)
            for mode in args.precisions:
                _measure("spikesim-cupy", n, mode, _w1_model(n, lif), x, args)
                _lif_alone("spikesim-cupy", n, mode, lif, args)
            fallback = _spikesim_torch_fallback(n)
            _measure("spikesim-torch-fallback", n, "fp32", _w1_model(n, fallback), x, args)
        elif args.lib == "sj":
            impls = ["cupy"]
            if (
                not __import__("importlib.metadata")
                .metadata.version("spikingjelly")
                .startswith("0.")
            ):
                impls = args.sj_impl
            for impl in impls:
                os.environ["SJ_LIF_CUDA_IMPLEMENTATION"] = impl
                try:
                    version, lif = _sj_lif(n)
                except Exception as err:
                    emit(
                        args.out,
                        kind="w1",
                        lib=f"spikingjelly-{impl}",
                        n=n,
                        precision="fp32",
                        error=repr(err)[:400],
                    )
                    continue
                name = f"spikingjelly-{version}-{impl}"
                _measure(name, n, "fp32", _w1_model(n, lif), x, args)
                _lif_alone(name, n, "fp32", lif, args)
        elif args.lib == "norse":
            lif = _norse_lif(n)
            _measure("norse-1.1-LIF", n, "fp32", _w1_model(n, lif), x, args)
        del x
        torch.cuda.empty_cache()


def _kernel_ms(fn, launches: int = 20) -> float:
    """Milliseconds per launch of ``fn`` over back-to-back launches (median of 5 rounds)."""
    import torch

    fn()
    times = []
    for _ in range(5):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(launches):
            fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / launches)
    return statistics.median(times)


#: (unroll, prefetch) pairs timed by ``kernels``; the first is the baseline every other
#: variant's outputs must equal bit for bit (the arithmetic is the same, only loads move).
KERNEL_VARIANTS = ((16, 0), (16, 1), (16, 2), (8, 1), (8, 2), (8, 4), (32, 1))


def _direct_launcher(kernel, args: tuple, elems: int, **template):
    """A no-argument launch of one kernel variant with its CuPy arguments converted once, so
    that the timing holds no DLPack or dispatch overhead (a launch takes ~0.1 ms here)."""
    import cupy
    import torch

    from spikesim.backends.cupy import kernels
    from spikesim.backends.cupy.autograd import _cupy

    run = kernels.launcher(kernel, elems, **template)
    cupy_args = tuple(_cupy(a) if isinstance(a, torch.Tensor) else a for a in args)
    stream = cupy.cuda.ExternalStream(torch.cuda.current_stream().cuda_stream)

    def launch() -> None:
        with stream:
            run(cupy_args)

    return launch


def cmd_kernels(args) -> None:
    """The fused LIF kernels alone (no autograd, no host overhead) for each (unroll, L2
    prefetch distance) in ``KERNEL_VARIANTS``, each checked bit for bit against the first."""
    import torch

    from spikesim.backends.cupy import kernels
    from spikesim.backends.cupy.autograd import _C_TYPES, _saved_shape

    for n in args.sizes:
        elems = B * n
        coeff = (
            torch.tensor([0, 0.9, 1, 1, 0, 1, 0, 0], device="cuda")
            .repeat_interleave(n)
            .reshape(8, n)
        )
        for dtype in (torch.float32, torch.bfloat16):
            x = (torch.randn(T, B, n, device="cuda") * 0.5 + 0.3).to(dtype)
            grad = torch.ones(1, dtype=dtype, device="cuda")
            io = x.element_size()
            baseline = None
            for unroll, prefetch in KERNEL_VARIANTS:
                # Poisoned outputs: a variant that leaves an element unwritten cannot match.
                out = torch.full_like(x, float("nan"))
                h = torch.full(
                    _saved_shape(T, B, n, torch.float16),
                    float("nan"),
                    dtype=torch.float16,
                    device="cuda",
                )
                bits = torch.full(((T + 31) // 32, B, n), -1, dtype=torch.int32, device="cuda")
                grad_x = torch.full_like(x, float("nan"))
                tpl = dict(
                    T_IO=_C_TYPES[dtype],
                    T_SAVE="f16",
                    SPIKING=1,
                    RESET_SUBTRACT=0,
                    UNROLL=unroll,
                    PREFETCH=prefetch,
                )
                sizes = (np.int32(T), np.int64(elems), np.int32(n))
                fwd_args = (x, out, h, bits, coeff, np.int32(1), *sizes)
                bwd_args = (grad, h, bits, coeff, np.float32(2.0), grad_x, *sizes)
                record = dict(kind="kernels", n=n, dtype=str(dtype).split(".")[-1])
                record.update(unroll=unroll, prefetch=prefetch)
                try:
                    fwd_launch = _direct_launcher(kernels.LIF_FORWARD, fwd_args, elems, **tpl)
                    bwd_launch = _direct_launcher(
                        kernels.LIF_BACKWARD, bwd_args, elems, SURROGATE=0, GRAD_SCALAR=1, **tpl
                    )
                    fwd_launch()
                    bwd_launch()
                    torch.cuda.synchronize()
                    outputs = tuple(t.clone() for t in (out, h, bits, grad_x))
                    if baseline is None:
                        baseline = outputs
                    same = all(torch.equal(a, b) for a, b in zip(outputs, baseline))
                    fwd = _kernel_ms(fwd_launch)
                    bwd = _kernel_ms(bwd_launch)
                except Exception as error:  # report the variant and go on with the next
                    emit(args.out, **record, error=repr(error)[:300])
                    continue
                fwd_bytes, bwd_bytes = (2 * io + 2.125) * T * elems, (io + 2.125) * T * elems
                emit(
                    args.out,
                    **record,
                    equal_to_first=same,
                    fwd_ms=round(fwd, 4),
                    bwd_ms=round(bwd, 4),
                    fwd_TBps=round(fwd_bytes / fwd / 1e9, 3),
                    bwd_TBps=round(bwd_bytes / bwd / 1e9, 3),
                )
                del out, h, bits, grad_x, outputs
            del baseline
            torch.cuda.empty_cache()


def _linear_step(fc, x, mode: str, grad=None):
    def step():
        fc.weight.grad = fc.bias.grad = None
        with matmul_flags(mode):
            with precision(mode):
                out = fc(x)
            if grad is None:
                out.float().sum().backward()
            else:  # a dense gradient, as the Linear receives from the LIF in W1
                out.backward(grad.to(out.dtype))

    return step


def cmd_linear(args) -> None:
    import torch

    for n in args.sizes:
        x = _input(n)
        fc = torch.nn.Linear(n, n).cuda()
        for mode in ("fp32", "tf32", "bf16"):
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            ms = cuda_time(_linear_step(fc, x, mode), args.reps)
            emit(
                args.out,
                kind="linear",
                n=n,
                precision=mode,
                fwdbwd_ms=round(ms, 3),
                peak_gib=round(torch.cuda.max_memory_allocated() / GIB, 3),
            )
        grad = torch.randn(T, B, n, device="cuda")
        for mode in ("fp32", "tf32", "bf16"):
            step = _linear_step(fc, x, mode, grad)
            ms = cuda_time(step, args.reps)
            kernel_ms, per_kernel = gpu_kernel_ms(step)
            emit(
                args.out,
                kind="linear_dense",
                n=n,
                precision=mode,
                fwdbwd_ms=round(ms, 3),
                kernel_ms=round(kernel_ms, 4),
                largest_kernels_ms=_largest(per_kernel),
            )
        del x, fc, grad, step  # step holds them too
        torch.cuda.empty_cache()


# -- W2 ------------------------------------------------------------------------------------------

W2_SIZES = (140, 256, 256, 20)


def w2_workload(batch: int, seed: int = 2, steps: int = 100):
    """W2 (shd-delay-inference): CUBA LIF 140-256-256-20, alpha 0.8, beta 0.9, theta 1, reset
    to 0, every synapse its own latency 1 + U{0..24}; Bernoulli input with per-(sample,
    channel) rates U(0, 0.1). Returns (graph, x [T, B, 140], weights, latencies)."""
    from spikesim.ir import LIF, Graph, Input

    rng = np.random.default_rng(seed)
    graph = Graph()
    graph.add("in", Input(W2_SIZES[0]))
    names, weights, latencies = ["in"], [], []
    for k, (n_in, n_out) in enumerate(zip(W2_SIZES, W2_SIZES[1:])):
        names.append(graph.add(f"l{k}", LIF(n_out, alpha=0.8, beta=0.9)))
        w = (
            rng.normal(0.002, (0.03, 0.02, 0.03)[k], (n_out, n_in))
            .astype(np.float32)
            .astype(np.float64)
        )
        lat = 1 + rng.integers(0, 25, (n_out, n_in))
        graph.connect(names[-2], names[-1], w, delay=lat)
        weights.append(w)
        latencies.append(lat)
    x = (
        rng.random((steps, batch, W2_SIZES[0])) < rng.uniform(0, 0.1, (1, batch, W2_SIZES[0]))
    ).astype(np.float64)
    return graph.validate(), x, weights, latencies


def _wall(fn, reps: int, sync=None) -> float:
    fn()
    if sync:
        sync()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _torch_w2(weights, latencies, neuron):
    """The peers' harness: each layer's input is one GEMM against the latency-split weights
    (dense delay buffer) plus shifted adds, then the library's neuron loop over T."""
    import torch

    layers = []
    for w, lat in zip(weights, latencies):
        lats = np.unique(lat)
        w_cat = np.concatenate([np.where(lat == d, w, 0.0).T for d in lats], axis=1)
        layers.append(
            (
                torch.tensor(w_cat, dtype=torch.float32, device="cuda"),
                [int(d) for d in lats],
                w.shape[0],
            )
        )

    def run(s):
        for w_cat, lats, n_out in layers:
            steps, batch, _ = s.shape
            y = (s.reshape(steps * batch, -1) @ w_cat).reshape(steps, batch, len(lats), n_out)
            cur = torch.zeros(steps, batch, n_out, device="cuda")
            for k, d in enumerate(lats):
                if d < steps:
                    cur[d:] += y[: steps - d, :, k]
            s = neuron(cur)
        return s

    return run


def _plain_torch_neuron(cur):
    import torch

    i = torch.zeros_like(cur[0])
    v = torch.zeros_like(cur[0])
    out = []
    for x in cur.unbind(0):
        i = 0.8 * i + x
        v = 0.9 * v + i
        s = v > 1.0
        v = torch.where(s, 0.0, v)
        out.append(s.float())
    return torch.stack(out)


def _norse_neuron():
    import norse.torch as nt
    import torch

    k = 1 - 0.9
    lif = nt.LIF(
        nt.LIFParameters(
            tau_syn_inv=torch.tensor(1 - 0.8),
            tau_mem_inv=torch.tensor(k),
            v_th=torch.tensor(1.0),
            v_reset=torch.tensor(0.0),
            v_leak=torch.tensor(0.0),
        ),
        dt=1.0,
    ).cuda()

    def run(cur):
        # norse integrates v += (1 - beta) * (i + x - v): scale the input by 1 / (1 - beta).
        return lif(cur / k)[0]

    return run


def _sj_cuba_neuron():
    from spikingjelly.activation_based import functional, neuron

    node = neuron.CUBALIFNode(c_decay=0.8, v_decay=0.9, v_threshold=1.0, v_reset=0.0).cuda()
    node.step_mode = "m"

    def run(cur):
        functional.reset_net(node)
        return node(cur)

    return run


def cmd_w2(args) -> None:
    import torch

    import spikesim

    graph, x, weights, latencies = w2_workload(args.batch)
    # numba float64 is the ground truth here: the numpy reference takes minutes at batch 256
    # (numba conforms to it exactly: tests/backend_numba).
    numba_full = spikesim.compile(graph, "numba", dtype="float64").run(x)
    truth = numba_full.counts("l2")
    unit = f"one batch of {args.batch} samples, T = 100"

    def emit_row(lib: str, t: float, counts, unit: str, **extra) -> None:
        emit(
            args.out,
            kind="w2",
            lib=lib,
            batch=args.batch,
            wall_s=round(t, 5),
            samples_per_s=round(args.batch / t, 1),
            out_spikes=int(counts.sum()),
            ref_out_spikes=int(truth.sum()),
            count_match=round(float(np.mean(counts == truth)), 5),
            unit=unit,
            **extra,
        )

    # chunk_steps=1: one launch per step, so float16 state is rounded every step
    for dtype, chunk in (("float32", 512), ("float16", 512), ("float32", 1), ("float16", 1)):
        opts = dict(dtype=dtype, chunk_steps=chunk)
        sim = spikesim.compile(graph, "cupy", record={"l2": ["spikes"]}, **opts)
        counts = sim.run(x).counts("l2")
        t = _wall(functools.partial(sim.run, x), args.reps)
        layers = {}
        full = spikesim.compile(graph, "cupy", **opts).run(x)
        for name in ("l0", "l1", "l2"):
            layers[name] = round(float(np.mean(full.counts(name) == numba_full.counts(name))), 5)
        emit_row(
            f"spikesim-cupy-{dtype}-chunk{chunk}",
            t,
            counts,
            unit + " (run(): input upload, record download)",
            layer_count_match=layers,
        )
    sim = spikesim.compile(graph, "numba", dtype="float32", record={"l2": ["spikes"]})
    counts = sim.run(x).counts("l2")
    t = _wall(functools.partial(sim.run, x), 2)
    emit_row(f"spikesim-numba-float32 ({os.cpu_count()} CPU threads)", t, counts, unit)
    xs = torch.tensor(x, dtype=torch.float32, device="cuda")
    peers = {
        "plain-torch-loop": lambda: _plain_torch_neuron,
        "norse-1.1-LIF": _norse_neuron,
        "spikingjelly-CUBALIFNode": _sj_cuba_neuron,
    }
    for name, make in peers.items():
        try:
            run = _torch_w2(weights, latencies, make())
            with torch.no_grad():
                counts = run(xs).sum(0).cpu().numpy().astype(np.int64)
                t = _wall(functools.partial(run, xs), args.reps, torch.cuda.synchronize)
            emit_row(
                name, t, counts, unit + " (dense delay-buffer GEMM harness, input already on GPU)"
            )
        except Exception as err:
            emit(args.out, kind="w2", lib=name, batch=args.batch, error=repr(err)[:400])


def cmd_stream(args) -> None:
    """W2 at --batch, T = 100: time per step of run(), stream() in chunks of 100, 10 and 1
    steps, and step(); each way's output spikes are first compared with run()'s. --csr-max
    sets how many synapse-steps a launch set may cover for the CSR delivery of a split edge,
    --warp-max how many sums a CSR launch may have to give each a warp."""
    import spikesim
    from spikesim.backends.cupy import simulator

    if args.csr_max is not None:
        simulator.CSR_MAX_SYNAPSE_STEPS = args.csr_max
    if args.warp_max is not None:
        simulator.CSR_WARP_MAX_TARGETS = args.warp_max
    graph, x, _, _ = w2_workload(args.batch)
    sim = spikesim.compile(graph, "cupy", dtype="float32", record={"l2": ["spikes"]})
    steps = x.shape[0]
    labelled = ways(sim, x, [100, 10, 1])
    want = labelled["run()"]()
    for way, fn in labelled.items():
        got = fn()
        equal = all(np.array_equal(got[name], spikes) for name, spikes in want.items())
        t = _wall(fn, args.reps)
        emit(
            args.out,
            kind="stream",
            batch=args.batch,
            way=way,
            csr_max_synapse_steps=simulator.CSR_MAX_SYNAPSE_STEPS,
            csr_warp_max_targets=simulator.CSR_WARP_MAX_TARGETS,
            us_per_step=round(t / steps * 1e6, 2),
            equal_to_run=equal,
        )


def cmd_transfers(args) -> None:
    """The floor under one streaming step at batch 1: the median time of a W2-sized input upload,
    an output download, and an empty launch plus synchronize, from pageable or pinned memory."""
    import cupy
    import cupyx

    host_in = np.random.default_rng(0).random((1, 1, 140))
    dev_in = cupy.empty(host_in.shape, host_in.dtype)
    dev_out = cupy.zeros((1, 1, 20), np.uint8)
    pinned_in = cupyx.empty_pinned(host_in.shape, host_in.dtype)
    pinned_in[...] = host_in
    pinned_out = cupyx.empty_pinned(dev_out.shape, dev_out.dtype)
    ways = {
        "upload, pageable (cupy.asarray)": lambda: cupy.asarray(host_in),
        "upload, pinned (ndarray.set)": lambda: dev_in.set(pinned_in),
        "download, pageable (ndarray.get)": dev_out.get,
        "download, pinned (ndarray.get(out=))": lambda: dev_out.get(out=pinned_out),
        "empty elementwise launch + synchronize": lambda: (
            dev_out.fill(0),
            cupy.cuda.get_current_stream().synchronize(),
        ),
    }
    for way, fn in ways.items():
        for _ in range(20):
            fn()
        cupy.cuda.get_current_stream().synchronize()
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            fn()
            cupy.cuda.get_current_stream().synchronize()
            times.append(time.perf_counter() - t0)
        emit(args.out, kind="transfer", way=way, us=round(statistics.median(times) * 1e6, 2))


# -- training parity -----------------------------------------------------------------------------


def _shd_dense(root: str, steps: int = 100, channels: int = 140):
    """shd-synth binned to ``steps`` steps of 8 ms and 700 -> 140 channels (sums of 5)."""
    from spikesim.datasets import bundled
    from spikesim.datasets.shd import load_shd
    from spikesim.inputs import events_to_dense

    path = bundled.ensure("shd-synth", root)
    out = {}
    for split in ("train", "test"):
        ds = load_shd(path, split=split)
        xs = np.zeros((len(ds), steps, channels), np.float32)
        for k in range(len(ds)):
            events = ds[k][0]
            dense = events_to_dense(events, 8e-3, 700, steps)
            xs[k] = dense.reshape(steps, channels, 5).sum(-1)
        out[split] = (xs, np.asarray(ds.labels))
    return out


def _train(mode: str, data, epochs: int, seed: int) -> dict:
    with matmul_flags(mode):
        return _train_scoped(mode, data, epochs, seed)


def _train_scoped(mode: str, data, epochs: int, seed: int) -> dict:
    """Train Linear(140,256) -> LIF -> Linear(256,C) -> LI (logits: max over time of v), Adam."""
    import torch

    from spikesim.torch.lif import Coefficients, lif_multistep
    from spikesim.torch.surrogate import Surrogate

    def coeffs(n, beta, gain):
        def vec(v):
            return torch.full((n,), float(v), device="cuda")

        return Coefficients(vec(0), vec(beta), vec(1), vec(gain), vec(0), vec(1), vec(0), vec(0))

    n_classes = int(data["train"][1].max()) + 1
    torch.manual_seed(seed)
    fc1, fc2 = torch.nn.Linear(140, 256).cuda(), torch.nn.Linear(256, n_classes).cuda()
    # hidden: LIF, beta 0.9; readout: LI with unit DC gain (current_gain = 1 - beta)
    c1, c2, surrogate = coeffs(256, 0.9, 1.0), coeffs(n_classes, 0.9, 0.1), Surrogate("atan")
    opt = torch.optim.Adam(list(fc1.parameters()) + list(fc2.parameters()), lr=2e-3)

    def logits(xb):
        with precision(mode):
            s = lif_multistep(fc1(xb), c1, surrogate, True, "zero")
            v = lif_multistep(fc2(s), c2, surrogate, False, "zero")
        return v.float().max(0).values

    xs, ys = data["train"]
    t0 = time.perf_counter()
    for epoch in range(epochs):
        order = np.random.default_rng([seed, epoch]).permutation(len(xs))
        for start in range(0, len(order), 128):
            idx = order[start : start + 128]
            xb = torch.tensor(xs[idx], device="cuda").transpose(0, 1).contiguous()
            loss = torch.nn.functional.cross_entropy(
                logits(xb), torch.tensor(ys[idx], device="cuda")
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
    torch.cuda.synchronize()
    train_s = time.perf_counter() - t0
    xt, yt = data["test"]
    with torch.no_grad():
        pred = (
            logits(torch.tensor(xt, device="cuda").transpose(0, 1).contiguous())
            .argmax(1)
            .cpu()
            .numpy()
        )
    return dict(
        test_accuracy=round(float(np.mean(pred == yt)), 4),
        final_loss=round(float(loss.detach()), 4),
        train_s=round(train_s, 2),
    )


def cmd_parity(args) -> None:
    data = _shd_dense(args.data_root)
    for seed in range(args.seeds):
        for mode in ("fp32", "tf32", "bf16"):
            emit(
                args.out,
                kind="parity",
                precision=mode,
                epochs=args.epochs,
                seed=seed,
                **_train(mode, data, args.epochs, seed),
            )


# -- report --------------------------------------------------------------------------------------


def _print_table(title: str, header: list[str], lines) -> None:
    """A markdown section: ``title``, then a table of ``header`` and the cells of ``lines``."""
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for cells in lines:
        print("| " + " | ".join(str(c) for c in cells) + " |")


_CSR_LIMITS = {
    "csr_max_synapse_steps": "synapse-steps",
    "csr_max_sample_steps": "sample-steps",
}


def cmd_report(args) -> None:
    rows = [json.loads(line) for line in args.out.read_text().splitlines() if line.strip()]
    env = next((r for r in rows if r["kind"] == "env"), {})
    print(f"# CuPy backend on {env.get('gpu', '?')}\n")
    print(
        f"torch {env.get('torch')}, cupy {env.get('cupy')}, device copy {env.get('copy_TBps')} TB/s "
        "(bytes read + written).\n"
    )
    linear = {(r["n"], r["precision"]): r for r in rows if r["kind"] == "linear"}
    dense = {(r["n"], r["precision"]): r for r in rows if r["kind"] == "linear_dense"}
    alone = {(r["lib"], r["n"], r["precision"]): r for r in rows if r["kind"] == "lif_alone"}
    print("## W1: Linear(n,n) + LIF, batch 16, T = 500, fwd + bwd of out.sum()\n")
    print(
        "| lib | n | precision | fwd ms | fwd+bwd ms | Linear alone ms (sum / dense grad) "
        "| neuron part ms (vs sum / vs dense) | neuron kernels ms (profiler) "
        "| LIF alone fwd / fwd+bwd ms | peak GiB | peak - Linear peak GiB | spikes |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if r["kind"] != "w1":
            continue
        if "error" in r:
            print(
                f"| {r['lib']} | {r['n']} | {r['precision']} | error: {r['error'][:160]} |||||||||"
            )
            continue
        lin = linear.get((r["n"], r["precision"]), {})
        lin_dense = dense.get((r["n"], r["precision"]), {}).get("fwdbwd_ms")
        part = round(r["fwdbwd_ms"] - lin["fwdbwd_ms"], 3) if lin else "?"
        part_dense = round(r["fwdbwd_ms"] - lin_dense, 3) if lin_dense else "?"
        mem = round(r["peak_gib"] - lin["peak_gib"], 3) if lin else "?"
        lin_kernels = dense.get((r["n"], r["precision"]), {}).get("kernel_ms")
        kernels = (
            round(r["kernel_ms"] - lin_kernels, 3) if lin_kernels and "kernel_ms" in r else "?"
        )
        a = alone.get((r["lib"], r["n"], r["precision"]), {})
        lif = f"{a.get('fwd_ms', '–')} / {a.get('fwdbwd_ms', a.get('error', '–'))}"
        print(
            f"| {r['lib']} | {r['n']} | {r['precision']} | {r['fwd_ms']} | {r['fwdbwd_ms']} | "
            f"{lin.get('fwdbwd_ms', '?')} / {lin_dense} | {part} / {part_dense} | {kernels} | {lif} | "
            f"{r['peak_gib']} | "
            f"{mem} | {r['out_spikes']:.0f} |"
        )
    bw = env.get("copy_TBps")
    if bw:
        print("\nMemory-traffic floor of spikesim's fused LIF (fwd + bwd, gradient of a sum):")
        for n in sorted({r["n"] for r in rows if r["kind"] == "w1"}):
            for label, per in (("fp32 activations", 16.25), ("bf16 activations", 10.25)):
                floor = per * T * B * n / (bw * 1e9)
                print(f"- n = {n}, {label}: {per} B per neuron-step -> {floor:.3f} ms at {bw} TB/s")
    sweep = [r for r in rows if r["kind"] == "kernels"]
    if sweep:
        print("\n## Fused LIF kernels alone (20 back-to-back launches, no autograd)\n")
        print(
            "| n | activations | unroll | L2 prefetch (blocks) | equal to first | fwd ms "
            "| fwd TB/s | bwd ms | bwd TB/s |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for r in sweep:
            if "error" in r:
                print(
                    f"| {r['n']} | {r['dtype']} | {r['unroll']} | {r.get('prefetch')} | "
                    f"error: {r['error'][:120]} |||||"
                )
                continue
            print(
                f"| {r['n']} | {r['dtype']} | {r['unroll']} | {r.get('prefetch', 0)} | "
                f"{r.get('equal_to_first', '–')} | {r['fwd_ms']} | {r['fwd_TBps']} | "
                f"{r['bwd_ms']} | {r['bwd_TBps']} |"
            )
    _print_table(
        "W2: 140-256-256-20 CUBA LIF with per-synapse delays, batch 256, T = 100, inference",
        ["lib", "wall s", "samples/s", "out spikes (numba float64)", "count match", "notes"],
        (
            [r["lib"], f"error: {r['error'][:120]}", "", "", "", ""]
            if "error" in r
            else [
                r["lib"],
                r["wall_s"],
                r["samples_per_s"],
                f"{r['out_spikes']} ({r['ref_out_spikes']})",
                r["count_match"],
                f"{r['unit']} {r.get('layer_count_match', '')}",
            ]
            for r in rows
            if r["kind"] == "w2"
        ),
    )
    streamed = [r for r in rows if r["kind"] == "stream"]
    if streamed:
        _print_table(
            "W2 streamed on CuPy, float32, T = 100: time per step (median of --reps)",
            ["batch", "way", "CSR delivery of split edges up to", "a warp per CSR sum up to"]
            + ["µs per step", "spikes = run()'s"],
            (
                [
                    r["batch"],
                    r["way"],
                    # Earlier runs bounded sample-steps (chunk x batch), not synapse-steps.
                    next((f"{r[k]} {unit}" for k, unit in _CSR_LIMITS.items() if k in r), "–"),
                    r.get("csr_warp_max_targets", "–"),  # earlier runs: one thread per sum
                    r["us_per_step"],
                    r["equal_to_run"],
                ]
                for r in streamed
            ),
        )
    transfers = [r for r in rows if r["kind"] == "transfer"]
    if transfers:
        _print_table(
            "Host round trips under a streaming step (median µs)",
            ["way", "µs"],
            ([r["way"], r["us"]] for r in transfers),
        )
    parity = [r for r in rows if r["kind"] == "parity"]
    if parity:
        print("\n## Training precision parity (shd-synth, 140-256 LIF - C LI, fused kernels)\n")
        print(
            "| precision | epochs | seeds | test accuracy mean ± std | per seed | train s (mean) |"
        )
        print("|---|---|---|---|---|---|")
        for mode in dict.fromkeys(r["precision"] for r in parity):
            got = [r for r in parity if r["precision"] == mode]
            acc = np.array([r["test_accuracy"] for r in got])
            print(
                f"| {mode} | {got[0]['epochs']} | {len(got)} | {acc.mean():.4f} ± {acc.std():.4f} | "
                f"{', '.join(f'{a:.3f}' for a in acc)} | {np.mean([r['train_s'] for r in got]):.2f} |"
            )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "command",
        choices=["env", "kernels", "linear", "w1", "w2", "stream", "transfers", "parity", "report"],
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="JSON-lines file to append to (report: read)"
    )
    parser.add_argument("--lib", default="spikesim", choices=["spikesim", "sj", "norse"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4096, 16384])
    parser.add_argument("--precisions", nargs="+", default=["fp32", "tf32", "bf16"])
    parser.add_argument("--sj-impl", nargs="+", default=["triton", "cuda"])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--csr-max", type=int, default=None, help="stream: CSR_MAX_SYNAPSE_STEPS")
    parser.add_argument("--warp-max", type=int, default=None, help="stream: CSR_WARP_MAX_TARGETS")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--data-root", default="/tmp/spikesim-data")
    args = parser.parse_args(argv)
    globals()[f"cmd_{args.command}"](args)


if __name__ == "__main__":
    sys.exit(main())
