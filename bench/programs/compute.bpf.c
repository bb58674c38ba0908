/* Compute loop as eBPF: the raw entry runs on the HeteroBpf interpreter, the xdp entry in the kernel (JIT). */
#include "entries.h"

HBPF_ENTRIES(compute, workload_compute)
