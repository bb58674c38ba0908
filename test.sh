#!/usr/bin/env bash
# Installs what the tests need (Debian packages, as root), builds, runs every test and ends with
# one line "N passed, N failed, N skipped" computed from the test results (TRX).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# Oracles and tool chains the tests call: llvm-mc/llvm-objdump (disassembly oracle), clang-19 and
# libbpf-dev (fixture rebuilds), bpftool (kernel oracle diagnostics), tshark (capture oracle; its
# wireshark-common brings text2pcap, editcap and mergecap for tests/data/captures/make.sh).
packages=(clang-19 llvm-19 libbpf-dev bpftool tshark binutils-aarch64-linux-gnu libunicorn2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: need root to install ${missing[*]} (apt-get)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "test.sh: the .NET SDK (dotnet) is not on PATH" >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

dotnet build HeteroBpf.slnx -c Release -nologo -clp:ErrorsOnly

set +e
# The xUnit v3 test project is its own runner (the .NET 10 SDK's `dotnet test` no longer drives it
# through VSTest); it writes the TRX that the summary line is computed from.
dotnet tests/HeteroBpf.Tests/bin/Release/net10.0/HeteroBpf.Tests.dll -noLogo -noColor \
  -result-trx "$results/tests.trx"
status=$?
set -e

trx="$results/tests.trx"
if [ ! -f "$trx" ]; then
  echo "test.sh: no test results were written ($trx)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
counter() { grep -o "<Counters [^>]*" "$trx" | grep -o " $1=\"[0-9]*\"" | grep -o "[0-9]*"; }
total=$(counter total); passed=$(counter passed); failed=$(counter failed)
errors=$(counter error); timeouts=$(counter timeout); aborted=$(counter aborted)
failed=$((failed + errors + timeouts + aborted))
skipped=$((total - passed - failed))
if [ "$total" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  status=1
fi
if [ "$failed" -gt 0 ]; then status=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
