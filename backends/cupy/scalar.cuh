// Storage types and float conversions shared by every spikesim kernel.
// NVRTC compiles these without the CUDA toolkit headers, so half and bfloat16 are plain 16-bit
// words converted with PTX `cvt` (sm_80+), not cuda_fp16.h / cuda_bf16.h.
#pragma once

struct f16 { unsigned short bits; };
struct bf16 { unsigned short bits; };

__device__ __forceinline__ float to_f32(float v) { return v; }
__device__ __forceinline__ double to_f64(double v) { return v; }
__device__ __forceinline__ float to_f32(f16 v) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(v.bits));
    return f;
}
__device__ __forceinline__ float to_f32(bf16 v) {
    return __uint_as_float(static_cast<unsigned int>(v.bits) << 16);
}

// Round-to-nearest-even conversions from the compute type to each storage type.
template <typename T> __device__ __forceinline__ T from_f32(float v);
template <> __device__ __forceinline__ float from_f32<float>(float v) { return v; }
template <> __device__ __forceinline__ f16 from_f32<f16>(float v) {
    f16 h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.bits) : "f"(v));
    return h;
}
template <> __device__ __forceinline__ bf16 from_f32<bf16>(float v) {
    bf16 h;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h.bits) : "f"(v));
    return h;
}

// Compute-type view of a storage value: double stays double, everything else becomes float.
template <typename T> struct compute { typedef float type; };
template <> struct compute<double> { typedef double type; };

template <typename C, typename T> __device__ __forceinline__ C load_as(T v) { return to_f32(v); }
template <> __device__ __forceinline__ double load_as<double, double>(double v) { return v; }

template <typename T, typename C> __device__ __forceinline__ T store_as(C v) { return from_f32<T>(v); }
template <> __device__ __forceinline__ double store_as<double, double>(double v) { return v; }
