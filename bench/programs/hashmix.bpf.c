/* The hashmix kernel of issue 8 as eBPF: raw entry for HeteroBpf, xdp entry for the kernel (JIT). */
#include "entries.h"

HBPF_ENTRIES(hashmix, workload_hashmix)
