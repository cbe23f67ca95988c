#!/usr/bin/env bash
# Fuzzes one of Subclone's readers with afl-fuzz through SharpFuzz for a fixed time:
#   fuzz/run.sh TARGET SECONDS      e.g. fuzz/run.sh safetensors 600
# TARGET is a folder of fuzz/corpus (safetensors, config, llama2c, wordpiece, gpt2-bpe, sentencepiece, llama2c-tokenizer,
# tokenizer-json).
# Needs afl++ (apt-get install -y afl++) and the repository's local dotnet tool SharpFuzz.CommandLine (restored here).
# Findings go to fuzz/out/TARGET-<time>/default/{crashes,hangs}; fuzz/out is not committed. Copy each crash input to
# fuzz/crashes/TARGET/ once it is fixed: the replay tests run every file there.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS}
[ -d "fuzz/corpus/$target" ] || { echo "no seed corpus fuzz/corpus/$target" >&2; exit 2; }
command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install -y afl++" >&2; exit 2; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# One thread for libtorch: the fuzzer is one process on a shared machine, and runs are tiny.
export OMP_NUM_THREADS=1
# A 2 GB managed heap: an input that makes a reader allocate by an untrusted size then fails with
# OutOfMemoryException (a crash afl-fuzz saves) instead of taking the machine's memory.
export DOTNET_GCHeapHardLimit=0x80000000

# A fresh copy each time, because instrumenting rewrites the assemblies in place.
bin=fuzz/out/bin
rm -rf "$bin"
dotnet tool restore >/dev/null
dotnet publish fuzz/Subclone.Fuzz -c Release -o "$bin" -v quiet -nologo
# Coverage is traced in the assemblies that parse the inputs: Subclone itself and the tokenizer library
# (with the protobuf runtime SentencePiece models are read with).
for dll in Subclone.dll Microsoft.ML.Tokenizers.dll Google.Protobuf.dll; do
  [ -f "$bin/$dll" ] && dotnet sharpfuzz "$bin/$dll"
done

findings=fuzz/out/$target-$(date +%Y%m%d-%H%M%S)
dict=()
[ -f "fuzz/dict/$target.dict" ] && dict=(-x "fuzz/dict/$target.dict")
# The target is dotnet, not an AFL-instrumented binary (SharpFuzz speaks the fork-server protocol itself);
# containers often cannot set core_pattern or the CPU governor, which only matter for speed.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
# A run takes milliseconds, but the first one of each dotnet child also loads libtorch, which takes seconds on a
# busy machine: a run is called a hang only after FUZZ_TIMEOUT_MS.
afl-fuzz -i "fuzz/corpus/$target" -o "$findings" -t "${FUZZ_TIMEOUT_MS:-20000}" -m none -V "$seconds" "${dict[@]}" \
  -- dotnet "$bin/Subclone.Fuzz.dll" "$target" || true

stats=$findings/default/fuzzer_stats
if [ -f "$stats" ]; then
  grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs) ' "$stats"
fi
echo "crashes: $findings/default/crashes"
echo "hangs:   $findings/default/hangs"
echo "replay:  dotnet run --project fuzz/Subclone.Fuzz -c Release -- replay $target $findings/default/crashes/id*"
