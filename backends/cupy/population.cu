// Simulation: one population over a chunk of C steps in one launch, one thread per (sample,
// neuron). The delivered input x of the whole chunk is ready before the launch (see
// simulator.py for why a chunk never needs its own outputs). Operation order follows
// backends/reference/step.py so that float32 results match the reference step for step:
//   i <- alpha*i + input_gain*x ;  v' <- (beta*v + current_gain*i) + bias  (held if refractory)
//   s <- v' > v_th ;  v <- v_reset | v' - v_th where s ;  refractory counter restarts on s
// State at rest (between launches) and the recorded traces are T_STATE (double, float or f16);
// within a launch it stays in registers at T_VAL precision, so f16 state is rounded once per
// chunk, not once per step (docs/cupy.md: float16 policy).
// The node's output (spikes 0/1 or LI's v) goes to its ring buffer slot (t0 + k) % ring_len.
#include "neuron.cuh"
#include "scalar.cuh"

// Bits of `rec_flags`: which per-step traces to write for the recorder.
enum { REC_SPIKES = 1, REC_V = 2, REC_I = 4 };

template <typename T_VAL, typename T_STATE, int SPIKING, int RESET_SUBTRACT>
__global__ void population_chunk(
    const T_VAL* __restrict__ x,            // [C, elems]
    T_STATE* __restrict__ v,                // [elems]
    T_STATE* __restrict__ cur,              // [elems]
    int* __restrict__ ref,                  // [elems] refractory steps left
    const T_VAL* __restrict__ coeff,        // [8, size]
    T_VAL* __restrict__ ring,               // [ring_len, elems]
    int ring_len, long long t0,
    unsigned char* __restrict__ rec_spikes, // [C, elems] when REC_SPIKES
    T_STATE* __restrict__ rec_v,            // [C, elems] when REC_V
    T_STATE* __restrict__ rec_i,            // [C, elems] when REC_I
    int rec_flags, int chunk, long long elems, int size, int refractory)
{
    typedef typename compute<T_VAL>::type C;
    const long long e = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (e >= elems) return;
    const int n = static_cast<int>(e % size);
    const Coefficients<C> c(coeff, size, n);
    C vv = load_as<C>(v[e]);
    C ii = load_as<C>(cur[e]);
    int rr = ref[e];
    for (int k = 0; k < chunk; ++k) {
        const long long at = static_cast<long long>(k) * elems + e;
        ii = c.alpha * ii + c.g_in * x[at];
        const bool refractory_now = rr > 0;
        C h = refractory_now ? vv : (c.beta * vv + c.g_cur * ii) + c.bias;
        C out;
        if (SPIKING) {
            const bool s = (h > c.v_th) && !refractory_now;
            vv = s ? (RESET_SUBTRACT ? h - c.v_th : c.v_reset) : h;
            rr = s ? refractory : (refractory_now ? rr - 1 : 0);
            out = s ? C(1) : C(0);
            if (rec_flags & REC_SPIKES) rec_spikes[at] = s ? 1 : 0;
        } else {
            vv = h;
            out = h;
        }
        ring[((t0 + k) % ring_len) * elems + e] = out;
        if (rec_flags & REC_V) rec_v[at] = store_as<T_STATE>(vv);
        if (rec_flags & REC_I) rec_i[at] = store_as<T_STATE>(ii);
    }
    v[e] = store_as<T_STATE>(vv);
    cur[e] = store_as<T_STATE>(ii);
    ref[e] = rr;
}
