// Fused multi-step LIF backward (BPTT), one thread per (sample, neuron), t = T-1 .. 0.
// Matches spikesim/torch/lif.py: the reset is detached, so with s_t = h_t > v_th
//   gh = g_t * sg(h_t - v_th) + gv * (zero reset ? (1 - s_t) : 1)     (LI: gh = g_t + gv)
//   gi = gh * current_gain + alpha * gi ;  dx_t = gi * input_gain ;  gv = gh * beta
// h_t comes from the forward's saved copy (T_SAVE) and s_t from its bit words, so the spike
// decision is exact even when h is saved in fp16. GRAD_SCALAR reads one value for every
// element: the incoming gradient of out.sum() is an expanded scalar, never materialised.
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
          int GRAD_SCALAR, int UNROLL>
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
    unsigned int word = 0u;
    for (int t0 = steps - 1; t0 >= 0; t0 -= UNROLL) {
        float gs[UNROLL];
        float hs[UNROLL];
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int t = t0 - u;
            const long long at = static_cast<long long>(t) * elems + e;
            gs[u] = GRAD_SCALAR ? g_all : ((t >= 0) ? to_f32(grad_out[at]) : 0.0f);
            hs[u] = (SPIKING && t >= 0) ? to_f32(h_saved[at]) : 0.0f;
        }
#pragma unroll
        for (int u = 0; u < UNROLL; ++u) {
            const int t = t0 - u;
            if (t < 0) break;
            float gh;
            if (SPIKING) {
                if ((t & 31) == 31 || t == steps - 1) {
                    word = bits[static_cast<long long>(t >> 5) * elems + e];
                }
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
