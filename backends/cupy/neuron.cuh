// The per-neuron coefficients every neuron kernel reads, loaded one way for all of them.
#pragma once

// Rows of a coefficient table [8, size]: spikesim.ir.neurons.COEFFICIENTS (the order of
// spikesim.torch.lif.Coefficients too).
enum { ALPHA = 0, BETA, INPUT_GAIN, CURRENT_GAIN, BIAS, V_TH, V_RESET, V_INIT };

// Neuron n's coefficients from `coeff` [8, size], in the compute type C. The compiler drops
// the loads of those a kernel never reads (the PTX is the same as with hand-picked loads).
template <typename C>
struct Coefficients {
    C alpha, beta, g_in, g_cur, bias, v_th, v_reset, v_init;

    template <typename T>
    __device__ __forceinline__ Coefficients(const T* __restrict__ coeff, int size, int n)
        : alpha(coeff[ALPHA * size + n]),
          beta(coeff[BETA * size + n]),
          g_in(coeff[INPUT_GAIN * size + n]),
          g_cur(coeff[CURRENT_GAIN * size + n]),
          bias(coeff[BIAS * size + n]),
          v_th(coeff[V_TH * size + n]),
          v_reset(coeff[V_RESET * size + n]),
          v_init(coeff[V_INIT * size + n]) {}
};
