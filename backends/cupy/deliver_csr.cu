// Simulation: delivery along an edge with per-synapse latencies, pulled from the source's
// device-side ring buffer. LANES threads per (step of the chunk, sample, target neuron) sum
// its CSR row, so the result is deterministic (no atomics):
//   x[k, b, post] += sum_s weight[s] * out_pre[t0 + k - delay[s]]   (terms with t < 0 are 0)
// With LANES = 1 one thread adds the row in stored (pre) order. With LANES = 32 a warp shares
// the row, lane l taking synapses l, l + 32, ..., and a fixed shuffle tree adds the lanes'
// sums: for launches with few targets, where one thread per row would leave the GPU idle
// while each walks its whole row one gather at a time.
// out_pre[t] lives in ring slot t % ring_len; the ring is long enough that no slot read here
// has been overwritten (simulator.py sizes it as chunk + max latency).
#include "scalar.cuh"

template <typename T_VAL, int LANES>
__global__ void deliver_csr(
    const int* __restrict__ indptr,     // [n_out + 1]
    const int* __restrict__ pre,        // [nnz]
    const T_VAL* __restrict__ weight,   // [nnz]
    const int* __restrict__ delay,      // [nnz] latency in steps
    const T_VAL* __restrict__ ring,     // [ring_len, batch, n_in]
    int ring_len, long long t0,
    T_VAL* __restrict__ x,              // [chunk, batch, n_out], accumulated into
    int chunk, int batch, int n_out, int n_in)
{
    static_assert(LANES == 1 || LANES == 32, "a row is summed by one thread or one warp");
    typedef typename compute<T_VAL>::type C;
    const long long thread = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    // blockDim is a multiple of 32, so every lane of a warp gets the same idx and returns with
    // the others: the shuffles below always see the full warp.
    const long long idx = thread / LANES;
    const int lane = static_cast<int>(thread % LANES);
    const long long total = static_cast<long long>(chunk) * batch * n_out;
    if (idx >= total) return;
    const int post = static_cast<int>(idx % n_out);
    const int b = static_cast<int>((idx / n_out) % batch);
    const long long t = t0 + idx / (static_cast<long long>(n_out) * batch);
    C acc = 0;
    for (int s = indptr[post] + lane; s < indptr[post + 1]; s += LANES) {
        const long long tt = t - delay[s];
        if (tt >= 0) {
            const long long slot = tt % ring_len;
            acc += weight[s] * ring[(slot * batch + b) * n_in + pre[s]];
        }
    }
    if constexpr (LANES > 1) {
        for (int offset = LANES / 2; offset > 0; offset /= 2) {
            acc += __shfl_down_sync(0xffffffffu, acc, offset);
        }
        if (lane != 0) return;
    }
    x[idx] += acc;
}
