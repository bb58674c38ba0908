#!/usr/bin/env bash
# Builds the native baseline: workloads.c -> libhbpfbench.so (clang-19 -O2, host CPU baseline ISA, no -march=native so
# the number means the same on every x86-64). Run by the benchmark project's build; the library is not committed.
# Usage: build.sh [output directory] (default: this directory).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here}"
clang=${CLANG:-clang-19}
command -v "$clang" >/dev/null || { echo "build.sh: $clang not found (apt-get install clang-19)" >&2; exit 1; }
mkdir -p "$out"
"$clang" -O2 -fPIC -shared -fvisibility=hidden -I/usr/include/x86_64-linux-gnu \
  -o "$out/libhbpfbench.so" "$here/workloads.c"
