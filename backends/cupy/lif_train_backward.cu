// Fused multi-step LIF backward (BPTT), one thread per (sample, neuron), t = T-1 .. 0.
// Matches spikesim/torch/lif.py: the reset is detached, so with s_t = h_t > v_th
//   gh = g_t * sg(h_t - v_th) + gv * (zero reset ? (1 - s_t) : 1)     (LI: gh = g_t + gv)
//   gi = gh * current_gain + alpha * gi ;  dx_t = gi * input_gain ;  gv = gh * beta
// h_t comes from the forward's saved copy (T_SAVE) and s_t from its bit words, so the spike
// decision is exact even when h is saved in fp16. GRAD_SCALAR reads one value for every
// element: the incoming gradient of out.sum() is an expanded scalar, never materialised.
// Blocks of UNROLL steps start at multiples of UNROLL (the last block first), so each block
// reads whole 16-byte groups of saved h and one spike word, all issued before its recurrence;
// L2 is asked for the block PREFETCH blocks earlier in time.
#include "memory.cuh"
#include "neuron.cuh"
#include "scalar.cuh"

enum { SURROGATE_ATAN = 0, SURROGATE_SUPERSPIKE = 1 };

template <int SURROGATE>
__device__ __forceinline__ float surrogate_grad(float u, float a) {
    if (SURROGATE == SURROGATE_ATAN) {
        const float z = 1.5707963267948966f * a * u;  // pi/2 * alpha * u
        return (0.5f * a) / (1.0f + z * z);
    }
    const float d = a * fabsf(u) + 1.0f;
    return 1.0f / (d * d);
}

template <typename T_IO, typename T_SAVE, int SPIKING, int RESET_SUBTRACT, int SURROGATE,
          int GRAD_SCALAR, int UNROLL, int PREFETCH>
__global__ void lif_train_backward(
    const T_IO* __restrict__ grad_out,      // [T, elems], or one value when GRAD_SCALAR
    const Bytes16* __restrict__ h_saved,    // [ceil(T/N), elems] groups of N (spiking only)
    const unsigned int* __restrict__ bits,  // [ceil(T/32), elems] (spiking only)
    const float* __restrict__ coeff,        // [8, size]
    float sg_alpha,                         // surrogate sharpness
    T_IO* __restrict__ grad_x,              // [T, elems]
    int steps, long long elems, int size)
{
    typedef StepGroup<T_SAVE> Group;
    static_assert(UNROLL % Group::N == 0 && 32 % UNROLL == 0, "UNROLL: N, 2N, ... up to 32");
    constexpr int GROUPS = UNROLL / Group::N;
    const long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (e >= elems) return;
    const int n = static_cast<int>(e % size);
    const Coefficients<float> c(coeff, size, n);
    const float g_all = GRAD_SCALAR ? to_f32(grad_out[0]) : 0.0f;
    float gv = 0.0f;  // dL/dv_t through step t+1
    float gi = 0.0f;  // dL/di_t
    for (int base = ((steps - 1) / UNROLL) * UNROLL; base >= 0; base -= UNROLL) {
        const int ahead = base - PREFETCH * UNROLL;  // the block PREFETCH blocks earlier
        if (PREFETCH > 0 && ahead >= 0) {
            if (SPIKING) {
#pragma unroll
                for (int k = 0; k < GROUPS; ++k) {
                    prefetch_l2(h_saved + static_cast<long long>(ahead / Group::N + k) * elems + e);
                }
                prefetch_l2(bits + static_cast<long long>(ahead >> 5) * elems + e);
            }
            if (!GRAD_SCALAR) {
#pragma unroll
                for (int u = 0; u < UNROLL; ++u) {
                    prefetch_l2(grad_out + static_cast<long long>(ahead + u) * elems + e);
                }
            }
        }
        float gs[UNROLL];  // gs[u]: step base + u
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int t = base + u;
            gs[u] = GRAD_SCALAR ? g_all
                                : (t < steps ? to_f32(grad_out[static_cast<long long>(t) * elems + e]) : 0.0f);
        }
        Group hs[GROUPS];  // hs[u / N].value[u % N]: step base + u
        unsigned int word = 0u;
        if (SPIKING) {
#pragma unroll
            for (int k = 0; k < GROUPS; ++k) {
                if (base + k * Group::N < steps) {
                    hs[k].raw = h_saved[static_cast<long long>(base / Group::N + k) * elems + e];
                }
            }
            word = bits[static_cast<long long>(base >> 5) * elems + e];
        }
#pragma unroll
        for (int u = UNROLL - 1; u >= 0; --u) {
            const int t = base + u;
            if (t >= steps) continue;  // only in the last block
            float gh;
            if (SPIKING) {
                const float h = to_f32(hs[u / Group::N].value[u % Group::N]);
                const bool s = (word >> (t & 31)) & 1u;
                gh = gs[u] * surrogate_grad<SURROGATE>(h - c.v_th, sg_alpha);
                gh += (RESET_SUBTRACT || !s) ? gv : 0.0f;
            } else {
                gh = gs[u] + gv;
            }
            gi = gh * c.g_cur + c.alpha * gi;
            grad_x[static_cast<long long>(t) * elems + e] = from_f32<T_IO>(gi * c.g_in);
            gv = gh * c.beta;
        }
    }
}
