#!/usr/bin/env bash
# Checks the semantics table against LLVM: every case's "-- asm" must assemble with
# `llvm-mc-19 -triple bpf -mcpu=v4`, each line must be spelled exactly as `llvm-objdump-19 -d`
# prints it back (plain or --mcpu=v4; a jump or call target is compared by its label), and every
# opcode byte of RFC 9669 must appear in some case (except those README.md lists as skipped).
# Usage: tests/data/semantics/check-llvm-mc.sh [FILE.data...]   (default: every *.data here)
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v llvm-mc-19 >/dev/null || { echo "check-llvm-mc: llvm-mc-19 not found (apt-get install llvm-19)" >&2; exit 2; }
if (($#)); then files=("$@"); else files=("$dir"/*.data); fi
exec python3 - "$dir/README.md" "${files[@]}" <<'PYEOF'
import os, re, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor

readme, files = sys.argv[1], sys.argv[2:]

def parse(path):
    cases, cur, section = [], None, None
    for n, raw in enumerate(open(path).read().split('\n'), 1):
        line = raw.strip()
        if not line or line.startswith('#'): continue
        if line.startswith('-- '):
            d = line[3:].strip()
            if d.startswith('case '):
                cur = {'name': d[5:].strip(), 'line': n, 'asm': [], 'result': [], 'error': [], 'mem': None}
                cases.append(cur); section = None; continue
            if cur is None:
                cur = {'name': os.path.basename(path)[:-5], 'line': n, 'asm': [], 'result': [], 'error': [], 'mem': None}
                cases.append(cur)
            section = {'asm': 'asm', 'mem': 'mem', 'result': 'result', 'error pattern': 'error'}.get(d)
            if d == 'mem': cur['mem'] = []
            if section is None and not re.fullmatch(r'skip [^:]+:\s*\S.*', d):
                sys.exit(f'{path}:{n}: unknown directive {line!r}')
            continue
        if section is None: sys.exit(f'{path}:{n}: text outside a section')
        cur[section].append(line)
    for c in cases:
        where = f'{os.path.basename(path)}:{c["line"]} {c["name"]}'
        if not c['asm']: sys.exit(f'{where}: no asm')
        if len(c['result']) + len(c['error']) != 1: sys.exit(f'{where}: needs one result or one error pattern line')
        if c['result'] and not re.fullmatch(r'0x[0-9a-f]{1,16}', c['result'][0]): sys.exit(f'{where}: bad result')
        if c['mem'] is not None and not all(re.fullmatch(r'[0-9a-fA-F]{2}', t) for t in ' '.join(c['mem']).split()):
            sys.exit(f'{where}: bad mem')
    names = [c['name'] for c in cases]
    dup = {x for x in names if names.count(x) > 1}
    if dup: sys.exit(f'{path}: duplicate case names {sorted(dup)}')
    return cases

def disasm(obj, mcpu):
    out = subprocess.run(['llvm-objdump-19', '-d'] + ([f'--mcpu={mcpu}'] if mcpu else []) + [obj],
                         capture_output=True, text=True, check=True).stdout
    insns = []
    for l in out.split('\n'):
        m = re.match(r'\s*\d+:\t([0-9a-f]{2}(?: [0-9a-f]{2})*)\s*\t(.*)$', l)
        if m: insns.append((bytes.fromhex(m.group(1).replace(' ', '')), m.group(2).strip()))
    return insns

def norm(text):
    # "goto +0x3 <L>" / "gotol -0x2 <L>" / "call 0x4" -> compare the mnemonic part only
    return re.sub(r'\b(goto|gotol|call)\s+\S+.*$', r'\1', text)

def check(path, c):
    where = f'{os.path.basename(path)}:{c["line"]} {c["name"]}'
    with tempfile.TemporaryDirectory() as t:
        s, o = os.path.join(t, 'c.s'), os.path.join(t, 'c.o')
        open(s, 'w').write('\n'.join(c['asm']) + '\n')
        r = subprocess.run(['llvm-mc-19', '-triple', 'bpf', '-mcpu=v4', '-filetype=obj', s, '-o', o], capture_output=True, text=True)
        if r.returncode: return where, None, r.stderr.strip()
        plain, v4 = disasm(o, None), disasm(o, 'v4')
    lines = [l for l in c['asm'] if not re.fullmatch(r'[A-Za-z_.][\w.]*:', l)]
    if len(lines) != len(plain): return where, None, f'{len(lines)} lines but {len(plain)} instructions'
    for src, (code, a), (_, b) in zip(lines, plain, v4):
        # llvm-mc-19 mis-encodes 'ld_pseudo rX, 4, LABEL' (the label's offset lands in the 16-bit offset field,
        # so llvm-objdump prints <unknown>); those lines are checked by our assembler's own tests only.
        if src.startswith('ld_pseudo') and a == '<unknown>': continue
        want = norm(re.sub(r'\s+', ' ', src))
        if want not in (norm(a), norm(b)):
            return where, None, f'{src!r} is printed back as {a!r} / {b!r}'
    return where, [code[0] for code, _ in plain], None

jobs = [(p, c) for p in files for c in parse(p)]
seen, bad = set(), 0
with ThreadPoolExecutor(os.cpu_count() or 4) as ex:
    for where, ops, err in ex.map(lambda pc: check(*pc), jobs):
        if err: bad += 1; print(f'{where}: {err}')
        else: seen.update(ops)

# Every opcode byte of RFC 9669 (appendix A), minus the skipped ones README.md lists as "- 0xNN".
valid = set()
for cls, is64 in ((0x04, False), (0x07, True)):
    for op in range(0x0, 0xe):
        if op == 0x8: valid.add(0x80 | cls); continue               # NEG: K only
        if op == 0xd: valid.add(0xd0 | cls); valid.update({0xd8 | cls} if not is64 else set()); continue
        valid.update({(op << 4) | cls, (op << 4) | 0x08 | cls})
for cls in (0x05, 0x06):
    valid.add(cls)                                                  # JA / gotol
    for op in (1, 2, 3, 4, 5, 6, 7, 0xa, 0xb, 0xc, 0xd):
        valid.update({(op << 4) | cls, (op << 4) | 0x08 | cls})
valid.update({0x85, 0x95, 0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x81, 0x89, 0x91, 0xc3, 0xdb})
for size in (0x00, 0x08, 0x10, 0x18):
    valid.update({0x61 | size, 0x62 | size, 0x63 | size})
skipped = set()
if os.path.exists(readme):
    sec = open(readme).read().split('## Skipped opcodes', 1)
    if len(sec) == 2:
        body = sec[1].split('\n## ', 1)[0]
        skipped = {int(m, 16) for m in re.findall(r'^- `?(0x[0-9a-f]{2})', body, re.M)}
missing = sorted(valid - seen - skipped)
if len(files) > 1 or not sys.argv[2:]:
    for op in missing: print(f'opcode 0x{op:02x} appears in no case'); bad += 1
print(f'check-llvm-mc: {len(jobs)} cases, {len(jobs) - (bad - len(missing))} assemble and round-trip, '
      f'{len(seen & valid)} of {len(valid)} RFC 9669 opcodes used, {len(missing)} missing')
sys.exit(1 if bad else 0)
PYEOF
