// Simulation: delivery along an edge with per-synapse latencies, pulled from the source's
// device-side ring buffer. One thread per (step of the chunk, sample, target neuron) sums its
// CSR row in stored (pre) order, so the result is deterministic (no atomics):
//   x[k, b, post] += sum_s weight[s] * out_pre[t0 + k - delay[s]]   (terms with t < 0 are 0)
// out_pre[t] lives in ring slot t % ring_len; the ring is long enough that no slot read here
// has been overwritten (simulator.py sizes it as chunk + max latency).
#include "scalar.cuh"

template <typename T_VAL>
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
    typedef typename compute<T_VAL>::type C;
    const long long idx = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    const long long total = static_cast<long long>(chunk) * batch * n_out;
    if (idx >= total) return;
    const int post = static_cast<int>(idx % n_out);
    const int b = static_cast<int>((idx / n_out) % batch);
    const long long t = t0 + idx / (static_cast<long long>(n_out) * batch);
    C acc = 0;
    for (int s = indptr[post]; s < indptr[post + 1]; ++s) {
        const long long tt = t - delay[s];
        if (tt >= 0) {
            const long long slot = tt % ring_len;
            acc += weight[s] * ring[(slot * batch + b) * n_in + pre[s]];
        }
    }
    x[idx] += acc;
}
