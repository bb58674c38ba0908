#!/usr/bin/env bash
# Rebuilds the committed XDP example objects from their C sources with fixed flags:
# examples/NAME/NAME.c -> examples/NAME/NAME.o (-mcpu=v3). Needs clang-19 and libbpf-dev (Debian).
# The runner only reads the committed objects; rerun this after editing a source and commit the result.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

clang=${CLANG:-clang-19}
command -v "$clang" >/dev/null || { echo "build.sh: $clang not found (apt-get install clang-19 libbpf-dev)" >&2; exit 1; }

for src in */*.c; do
  dir=$(dirname "$src")
  name=$(basename "$src" .c)
  # -fdebug-prefix-map keeps the build directory out of the DWARF/BTF, so rebuilds are identical anywhere.
  (cd "$dir" && "$clang" -O2 -g -target bpf -mcpu=v3 -I/usr/include/x86_64-linux-gnu \
    -fdebug-prefix-map="$PWD"=. -c "$name.c" -o "$name.o")
done
