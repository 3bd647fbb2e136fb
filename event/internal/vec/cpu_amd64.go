package vec

import "golang.org/x/sys/cpu"

// hasAVX2: the CPU (and the OS, for the ymm state) supports the AVX2 kernels.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasAVX

// hasFMA: the measurement-only fused kernel may run.
var hasFMA = hasAVX2 && cpu.X86.HasFMA
