// Memory hints shared by the kernels.
#pragma once

// Asks L2 to fetch the line holding p. Fire and forget: no register waits for it, so a thread
// can have far more bytes on their way than its registers could hold.
__device__ __forceinline__ void prefetch_l2(const void* p) {
    asm volatile("prefetch.global.L2 [%0];" : : "l"(p));
}
