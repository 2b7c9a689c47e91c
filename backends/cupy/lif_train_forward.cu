// Fused multi-step LIF forward for training: one thread per (sample, neuron) runs all T steps.
// Same update and operation order as spikesim/torch/lif.py (docs/semantics.md §3):
//   i <- alpha*i + input_gain*x ;  h <- (beta*v + current_gain*i) + bias ;  s <- h > v_th
//   v <- v_reset where s ("zero")  or  h - v_th*s ("subtract");  LI (not spiking): out = v = h
// Saved for the backward pass (spiking only): h in T_SAVE (fp16 by default), in 16-byte groups
// of consecutive steps (StepGroup), and the spikes as bits, 32 steps per word, so memory is
// 2.125 B per neuron-step instead of 8 B for fp32 h + s.
// Each block of UNROLL steps loads its inputs into registers before the recurrence and asks L2
// for those of the block PREFETCH blocks later: the register loads then wait for L2, not DRAM
// (one thread per recurrence leaves too few loads in flight to cover DRAM latency).
#include "memory.cuh"
#include "neuron.cuh"
#include "scalar.cuh"

template <typename T_IO, typename T_SAVE, int SPIKING, int RESET_SUBTRACT, int UNROLL,
          int PREFETCH>
__global__ void lif_train_forward(
    const T_IO* __restrict__ x,         // [T, elems] delivered input
    T_IO* __restrict__ out,             // [T, elems] spikes (0/1), or v for LI
    Bytes16* __restrict__ h_saved,      // [ceil(T/N), elems] groups of N h (spiking only)
    unsigned int* __restrict__ bits,    // [ceil(T/32), elems] spike bits (spiking only)
    const float* __restrict__ coeff,    // [8, size]
    int save,                           // 0: no backward will follow, skip h and bits
    int steps, long long elems, int size)
{
    typedef StepGroup<T_SAVE> Group;
    // Blocks start at multiples of UNROLL, so a block holds whole groups and lies in one word.
    static_assert(UNROLL % Group::N == 0 && 32 % UNROLL == 0, "UNROLL: N, 2N, ... up to 32");
    const long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (e >= elems) return;
    const int n = static_cast<int>(e % size);
    const Coefficients<float> c(coeff, size, n);
    float v = c.v_init;
    float i = 0.0f;
    unsigned int word = 0u;
    Group group = {};  // emptied after each store: a last, partial group ends in zeros
    for (int t0 = 0; t0 < steps; t0 += UNROLL) {
        if (PREFETCH > 0) {
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                const int t = t0 + PREFETCH * UNROLL + u;
                if (t < steps) prefetch_l2(x + static_cast<long long>(t) * elems + e);
            }
        }
        // Issue UNROLL independent loads before the dependent recurrence uses them.
        float xs[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            xs[u] = (t0 + u < steps) ? to_f32(x[static_cast<long long>(t0 + u) * elems + e]) : 0.0f;
        }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int t = t0 + u;
            if (t >= steps) break;
            const long long at = static_cast<long long>(t) * elems + e;
            i = c.alpha * i + c.g_in * xs[u];
            const float h = (c.beta * v + c.g_cur * i) + c.bias;
            if (SPIKING) {
                const bool s = h > c.v_th;
                out[at] = from_f32<T_IO>(s ? 1.0f : 0.0f);
                if (save) {
                    group.value[u % Group::N] = from_f32<T_SAVE>(h);
                    if (u % Group::N == Group::N - 1 || t == steps - 1) {
                        h_saved[static_cast<long long>(t / Group::N) * elems + e] = group.raw;
                        group = Group{};
                    }
                    word |= static_cast<unsigned int>(s) << (t & 31);
                    if ((t & 31) == 31 || t == steps - 1) {
                        bits[static_cast<long long>(t >> 5) * elems + e] = word;
                        word = 0u;
                    }
                }
                v = s ? (RESET_SUBTRACT ? h - c.v_th : c.v_reset) : h;
            } else {
                out[at] = from_f32<T_IO>(h);
                v = h;
            }
        }
    }
}
