#!/usr/bin/env bash
# The larger parent of docs/results.md ("A larger parent"): a Llama-style 6 x 192 (6 heads of 32, 3 KV heads,
# FFN 512, vocab 512 from stories260K's tokenizer, 2,533,824 parameters) that Subclone pretrains itself on both
# TinyStories files. Sized to finish in about 45 minutes on one busy core of the shared 2-core machine: an 8 x 256
# (5.9M) ran at 330 tokens/s here, which would have given it about 430 steps, too few to be a useful teacher.
# In the session of docs/results.md the machine got busier (350 tokens/s instead of 600), so the run was stopped
# after its step-400 checkpoint (36 min, validation loss 2.666) and the children were cut from that checkpoint.
# Usage: experiments/larger-parent.sh [OUT] [BIN]  (BIN: a published subclone; default: publish one into OUT/bin)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
out=${1:-experiments/out}
mkdir -p "$out"
if [[ -n ${2:-} ]]; then subclone=$2; else
    dotnet publish src/Subclone.Cli -c Release -o "$out/bin" -v q -nologo >/dev/null; subclone="$out/bin/Subclone.Cli"; fi
S=../shared/data
"$subclone" train --config experiments/llama-6x192-config.json --tokenizer $S/stories260K/stories260K.bin \
    --data $S/tinystories/tinystories_train_first1000.txt $S/tinystories/tinystories_valid_prefix.txt \
    --out "$out/parent" --force --steps 800 --batch 16 --seq 128 --lr 2e-3 --wd 0.1 --warmup 50 \
    --eval-every 100 --eval-batches 8 --save-every 100 --seed 1 --json
