// Fused multi-step LIF backward (BPTT), one thread per (sample, neuron), t = T-1 .. 0.
// Matches spikesim/torch/lif.py: the reset is detached, so with s_t = h_t > v_th
//   gh = g_t * sg(h_t - v_th) + gv * (zero reset ? (1 - s_t) : 1)     (LI: gh = g_t + gv)
//   gi = gh * current_gain + alpha * gi ;  dx_t = gi * input_gain ;  gv = gh * beta
// h_t comes from the forward's saved copy (T_SAVE) and s_t from its bit words, so the spike
// decision is exact even when h is saved in fp16. GRAD_SCALAR reads one value for every
// element: the incoming gradient of out.sum() is an expanded scalar, never materialised.
// Loads are issued per block of UNROLL steps, the spike words among them (at most two per
// block, so UNROLL <= 32), and L2 is asked for the block PREFETCH blocks earlier in time.
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
    const T_SAVE* __restrict__ h_saved,     // [T, elems] (spiking only)
    const unsigned int* __restrict__ bits,  // [ceil(T/32), elems] (spiking only)
    const float* __restrict__ coeff,        // [8, size]
    float sg_alpha,                         // surrogate sharpness
    T_IO* __restrict__ grad_x,              // [T, elems]
    int steps, long long elems, int size)
{
    const long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (e >= elems) return;
    const int n = static_cast<int>(e % size);
    const Coefficients<float> c(coeff, size, n);
    const float g_all = GRAD_SCALAR ? to_f32(grad_out[0]) : 0.0f;
    float gv = 0.0f;  // dL/dv_t through step t+1
    float gi = 0.0f;  // dL/di_t
    static_assert(UNROLL <= 32, "a block must span at most two spike words");
    for (int t0 = steps - 1; t0 >= 0; t0 -= UNROLL) {
        if (PREFETCH > 0) {
#pragma unroll
            for (int u = 0; u < UNROLL; ++u) {
                const int t = t0 - PREFETCH * UNROLL - u;
                if (t < 0) break;
                const long long at = static_cast<long long>(t) * elems + e;
                if (SPIKING) prefetch_l2(h_saved + at);
                if (!GRAD_SCALAR) prefetch_l2(grad_out + at);
                if (SPIKING && (t & 31) == 31) prefetch_l2(bits + static_cast<long long>(t >> 5) * elems + e);
            }
        }
        float gs[UNROLL];
        float hs[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int t = t0 - u;
            const long long at = static_cast<long long>(t) * elems + e;
            gs[u] = GRAD_SCALAR ? g_all : ((t >= 0) ? to_f32(grad_out[at]) : 0.0f);
            hs[u] = (SPIKING && t >= 0) ? to_f32(h_saved[at]) : 0.0f;
        }
        // The spike words of the block's first and last step (the same word, or two).
        const int t_low = t0 - UNROLL + 1 > 0 ? t0 - UNROLL + 1 : 0;
        const unsigned int word_high = SPIKING ? bits[static_cast<long long>(t0 >> 5) * elems + e] : 0u;
        const unsigned int word_low = SPIKING ? bits[static_cast<long long>(t_low >> 5) * elems + e] : 0u;
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int t = t0 - u;
            if (t < 0) break;
            float gh;
            if (SPIKING) {
                const unsigned int word = (t >> 5) == (t0 >> 5) ? word_high : word_low;
                const bool s = (word >> (t & 31)) & 1u;
                gh = gs[u] * surrogate_grad<SURROGATE>(hs[u] - c.v_th, sg_alpha);
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
