// Memory helpers shared by the kernels.
#pragma once

// Asks L2 to fetch the line holding p. Fire and forget: no register waits for it, so a thread
// can have far more bytes on their way than its registers could hold.
__device__ __forceinline__ void prefetch_l2(const void* p) {
    asm volatile("prefetch.global.L2 [%0];" : : "l"(p));
}

struct alignas(16) Bytes16 { unsigned int word[4]; };

// N = 16 / sizeof(T) consecutive steps of one element, moved as one 16-byte access. The
// training kernels save h as [ceil(T/N), elems, N] groups: one wide load or store per N steps
// instead of N narrow ones, and a warp's access is 512 contiguous bytes.
template <typename T>
union StepGroup {
    static constexpr int N = 16 / sizeof(T);
    Bytes16 raw;
    T value[N];
};
