#!/usr/bin/env bash
# Reproduces the training-speed experiments in docs/results.md: the same child trained from a subcloned,
# baseline and random start (subclone compare), for stories260K, a GPT-2 that Subclone pretrains itself, and
# MiniLM (distilled). Needs ../shared beside the checkout. Each run writes metrics.csv, loss.png and summary.json.
# One core per run (OMP_NUM_THREADS=1) keeps timings sane on a shared 2-core machine; results are step counts.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
out=${1:-experiments/out}
mkdir -p "$out"
dotnet publish src/Subclone.Cli -c Release -o "$out/bin" -v q -nologo >/dev/null
subclone="$out/bin/Subclone.Cli"
S=../shared/data
stories=(--hidden 32 --heads 4 --kv-heads 2 --ffn 86 --layers 3 --steps 600 --batch 16 --seq 128 --eval-every 25)

# 1. stories260K -> half width, 3 layers, on TinyStories: paper presets, then every init at random's LR/WD.
"$subclone" compare $S/stories260K/stories260K.bin --data $S/tinystories/tinystories_train_first1000.txt \
    --out "$out/stories-paper" --force "${stories[@]}" --inits subclone,subclone-noscale,uniform,first,random --json
"$subclone" compare $S/stories260K/stories260K.bin --data $S/tinystories/tinystories_train_first1000.txt \
    --out "$out/stories-samelr" --force "${stories[@]}" --inits subclone,subclone-noscale,random --subclone-lr 1e-3 --subclone-wd 0.1 --json

# 2. A GPT-2 (6 x 128, vocab 512 from stories260K's tokenizer) pretrained by Subclone, then -> 3 x 64.
cat > "$out/gpt2-config.json" <<'JSON'
{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_embd": 128, "n_layer": 6, "n_head": 4, "n_positions": 256,
 "vocab_size": 512, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "tie_word_embeddings": true,
 "bos_token_id": 1, "eos_token_id": 2}
JSON
data=($S/tinystories/tinystories_train_first1000.txt $S/tinystories/tinystories_valid_prefix.txt)
"$subclone" train --config "$out/gpt2-config.json" --tokenizer $S/stories260K/stories260K.bin --data "${data[@]}" \
    --out "$out/gpt2-parent" --force --steps 1000 --batch 16 --seq 128 --lr 2e-3 --wd 0.1 --warmup 100 --eval-every 100 --eval-batches 8 --seed 1 --json
gpt2=(--data "${data[@]}" --tokenizer $S/stories260K/stories260K.bin --hidden 64 --heads 2 --ffn 256 --layers 3 --steps 600 --batch 16 --seq 128 --eval-every 25)
"$subclone" compare "$out/gpt2-parent" "${gpt2[@]}" --out "$out/gpt2-paper" --force --inits subclone,subclone-noscale,uniform,random --json
"$subclone" compare "$out/gpt2-parent" "${gpt2[@]}" --out "$out/gpt2-samelr" --force --inits subclone,subclone-noscale,uniform,random --subclone-lr 1e-3 --subclone-wd 0.1 --json

# 3. MiniLM -> half width, distilled toward the parent's sentence embeddings on the default corpus.
"$subclone" compare minilm --out "$out/minilm" --force --ratio 0.5 --steps 300 --batch 32 --seq 64 --eval-every 25 --eval-batches 8 \
    --inits subclone,uniform,random --json
