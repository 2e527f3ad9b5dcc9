// The emulation checks' control: executes one AVX2 instruction (vpaddd on ymm registers) and
// prints "avx2". Under an emulated CPU without AVX2 it must die with SIGILL, which shows that the
// emulator enforces the CPU model it was given (so a run without SIGILL proves something).
// Written in assembly so that no compiler flag or optimization can remove or replace it.
#include <cstdio>

int main() {
#if defined(__x86_64__)
    asm volatile("vpaddd %%ymm0, %%ymm0, %%ymm0\n\tvzeroupper" ::: "xmm0");
    std::puts("avx2");
    return 0;
#else
    std::puts("not an x86-64 build");
    return 1;
#endif
}
