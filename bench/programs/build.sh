#!/usr/bin/env bash
# Rebuilds the committed benchmark programs: NAME.bpf.c -> NAME.bpf.o (kept for inspection) and the raw bytecode of
# each entry, NAME.xdp.bin (kernel, XDP) and NAME.raw.bin (interpreter), plus NAME.s, the disassembly of both.
# Fixed flags (clang-19, -O2, cpu v3). The benchmarks read only the .bin files; rerun after editing a source and commit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

clang=${CLANG:-clang-19}
objcopy=${OBJCOPY:-llvm-objcopy-19}
objdump=${OBJDUMP:-llvm-objdump-19}
command -v "$clang" >/dev/null || { echo "build.sh: $clang not found (apt-get install clang-19 libbpf-dev)" >&2; exit 1; }

for src in *.bpf.c; do
  name=${src%.bpf.c}
  "$clang" -O2 -target bpf -mcpu=v3 -I/usr/include/x86_64-linux-gnu -c "$src" -o "$name.bpf.o"
  for sec in xdp raw; do
    "$objcopy" -O binary --only-section="$sec" "$name.bpf.o" "$name.$sec.bin"
  done
  "$objdump" -d --no-show-raw-insn "$name.bpf.o" | sed -n '/^Disassembly/,$p' > "$name.s"
  # The two entries must differ only in the two context loads (u32 fields of xdp_md vs u64 fields of raw_ctx).
  diffs=$(diff <("$objdump" -d --no-show-raw-insn -j xdp "$name.bpf.o" | sed -n 's/ <.*>$//; /^ *[0-9]*:/p') \
               <("$objdump" -d --no-show-raw-insn -j raw "$name.bpf.o" | sed -n 's/ <.*>$//; /^ *[0-9]*:/p') | grep -c '^<' || true)
  [ "$diffs" -eq 2 ] || { echo "build.sh: $name: xdp and raw entries differ in $diffs instructions, expected 2" >&2; exit 1; }
  echo "$name: $(($(stat -c %s "$name.raw.bin") / 8)) slots"
done

# The verifier benchmark's loop-heavy program (VerifierTable): one XDP entry with BTF, loaded as an object, no .bin.
"$clang" -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c verifier_sieve.c -o verifier_sieve.o
"$clang" -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -DSIEVE_MARK_ONLY -c verifier_sieve.c -o verifier_sieve_mark.o
for o in verifier_sieve verifier_sieve_mark; do
  echo "$o: $("$objdump" -d --no-show-raw-insn "$o.o" | grep -c '^ *[0-9]*:') instructions (an lddw is one)"
done
