#!/usr/bin/env bash
# The best-vs-best experiments of docs/results.md ("Best learning rate per start, with seeds"): subclone compare
# with --lr-grid and --seeds (and the distillation arm and --budgets for the larger parent). Budgets are small:
# they ran on one busy core each of a shared 2-core machine within one session, so steps are few.
# Usage: experiments/speedup-sweeps.sh PART [OUT] [BIN]
#   PART: stories | stories-edge | stories-edge2 | stories-edge3 | stories-budgets | both | budgets | width | depth
#         | both-400 | both-400-edge | width-400 | depth-400
#         (the larger parent's parts need OUT/parent from larger-parent.sh)
#         gpt2-parent | gpt2 | gpt2-edge | gpt2-distill (need OUT/gpt2-parent) | minilm | vit-parent | vit | vit-edge (need OUT/vit-parent)
#   (gpt2-distill takes the learning rate as a fourth argument; BIN, the third, may be empty: '')
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
part=$1
out=${2:-experiments/out}
mkdir -p "$out"
if [[ -n ${3:-} ]]; then subclone=$3; else
    dotnet publish src/Subclone.Cli -c Release -o "$out/bin" -v q -nologo >/dev/null; subclone="$out/bin/Subclone.Cli"; fi
S=../shared/data
ts=($S/tinystories/tinystories_train_first1000.txt $S/tinystories/tinystories_valid_prefix.txt)
case $part in
  # stories260K (5 x 64) -> 3 x 32 on TinyStories: each init at 3e-4, 1e-3, 3e-3 (and its paper preset), 3 seeds.
  stories)
    "$subclone" compare $S/stories260K/stories260K.bin --data $S/tinystories/tinystories_train_first1000.txt \
        --out "$out/stories-grid" --force --hidden 32 --heads 4 --kv-heads 2 --ffn 86 --layers 3 \
        --steps 120 --batch 16 --seq 128 --eval-every 10 --inits subclone,random --lr-grid 3e-4,1e-3,3e-3 --seeds 3 --json ;;
  # Both starts won at the grid's top (3e-3) above: the grid extended upward, presets set to 3e-3 (same seeds and
  # batches, so the 3e-3 runs repeat the ones above exactly).
  stories-edge)
    "$subclone" compare $S/stories260K/stories260K.bin --data $S/tinystories/tinystories_train_first1000.txt \
        --out "$out/stories-grid-edge" --force --hidden 32 --heads 4 --kv-heads 2 --ffn 86 --layers 3 \
        --steps 120 --batch 16 --seq 128 --eval-every 10 --inits subclone,random --lr-grid 3e-3,1e-2 \
        --subclone-lr 3e-3 --random-lr 3e-3 --seeds 3 --json ;;
  # Still at the top (1e-2): once more upward.
  stories-edge2)
    "$subclone" compare $S/stories260K/stories260K.bin --data $S/tinystories/tinystories_train_first1000.txt \
        --out "$out/stories-grid-edge2" --force --hidden 32 --heads 4 --kv-heads 2 --ffn 86 --layers 3 \
        --steps 120 --batch 16 --seq 128 --eval-every 10 --inits subclone,random --lr-grid 1e-2,3e-2 \
        --subclone-lr 1e-2 --random-lr 1e-2 --seeds 3 --json ;;
  # Subclone still at the top (3e-2, random's best is 1e-2): subclone at 1e-1, random at 1e-2 as the reference.
  stories-edge3)
    "$subclone" compare $S/stories260K/stories260K.bin --data $S/tinystories/tinystories_train_first1000.txt \
        --out "$out/stories-grid-edge3" --force --hidden 32 --heads 4 --kv-heads 2 --ffn 86 --layers 3 \
        --steps 120 --batch 16 --seq 128 --eval-every 10 --inits subclone,random --lr-grid 1e-1 \
        --subclone-lr 1e-1 --random-lr 1e-2 --seeds 3 --json ;;
  # The trend with budget on stories260K: each start at its best LR above (subclone 3e-2, random 1e-2), 120,
  # 240 and 480 steps, 2 seeds.
  stories-budgets)
    "$subclone" compare $S/stories260K/stories260K.bin --data $S/tinystories/tinystories_train_first1000.txt \
        --out "$out/stories-budgets" --force --hidden 32 --heads 4 --kv-heads 2 --ffn 86 --layers 3 \
        --steps 120 --batch 16 --seq 128 --eval-every 10 --inits subclone,random \
        --subclone-lr 3e-2 --random-lr 1e-2 --budgets 1,2,4 --seeds 2 --json ;;
  # The larger parent (6 x 192) -> half width and half depth (3 x 96): best-vs-best with the distillation arm.
  # The presets are set inside the grid (--subclone-lr 1e-3) so the sweep has no extra preset runs.
  both)
    "$subclone" compare "$out/parent" --data "${ts[@]}" --tokenizer $S/stories260K/stories260K.bin --out "$out/parent-both" --force --ratio 0.5 --layers 3 \
        --steps 40 --batch 8 --seq 128 --eval-every 5 --inits subclone,subclone+distill,random \
        --lr-grid 1e-3,3e-3 --subclone-lr 1e-3 --seeds 3 --json ;;
  # The same child at 1x, 2x and 4x the step budget, both starts at LR 1e-3 (their best above), 2 seeds.
  budgets)
    "$subclone" compare "$out/parent" --data "${ts[@]}" --tokenizer $S/stories260K/stories260K.bin --out "$out/parent-budgets" --force --ratio 0.5 --layers 3 \
        --steps 30 --batch 8 --seq 128 --eval-every 5 --inits subclone,random --subclone-lr 1e-3 \
        --budgets 1,2,4 --seeds 2 --json ;;
  # Half width (full depth) and half depth (full width): both starts at LR 1e-3, 2 seeds.
  width)
    "$subclone" compare "$out/parent" --data "${ts[@]}" --tokenizer $S/stories260K/stories260K.bin --out "$out/parent-width" --force --ratio 0.5 \
        --steps 40 --batch 8 --seq 128 --eval-every 10 --inits subclone,random --subclone-lr 1e-3 --seeds 2 --json ;;
  depth)
    "$subclone" compare "$out/parent" --data "${ts[@]}" --tokenizer $S/stories260K/stories260K.bin --out "$out/parent-depth" --force --layers 3 \
        --steps 40 --batch 8 --seq 128 --eval-every 10 --inits subclone,random --subclone-lr 1e-3 --seeds 2 --json ;;
  # The self-pretrained GPT-2 (6 x 128, as in training-speed.sh section 2, same command and seed) -> 3 x 64:
  # subclone, subclone+distill and random at 1e-3, 3e-3, 1e-2, 3 seeds, 200 steps (the presets inside the grid).
  # In the session of docs/results.md this one loop did not fit: it ran as --inits subclone, --inits random and
  # gpt2-distill per learning rate, the same runs (same seeds and batches) in separate invocations.
  gpt2-parent)
    cat > "$out/gpt2-config.json" <<'JSON'
{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_embd": 128, "n_layer": 6, "n_head": 4, "n_positions": 256,
 "vocab_size": 512, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "tie_word_embeddings": true,
 "bos_token_id": 1, "eos_token_id": 2}
JSON
    "$subclone" train --config "$out/gpt2-config.json" --tokenizer $S/stories260K/stories260K.bin --data "${ts[@]}" \
        --out "$out/gpt2-parent" --force --steps 1000 --batch 16 --seq 128 --lr 2e-3 --wd 0.1 --warmup 100 --eval-every 100 --eval-batches 8 --seed 1 --json ;;
  gpt2)
    "$subclone" compare "$out/gpt2-parent" --data "${ts[@]}" --tokenizer $S/stories260K/stories260K.bin --out "$out/gpt2-grid" --force \
        --hidden 64 --heads 2 --ffn 256 --layers 3 --steps 200 --batch 16 --seq 128 --eval-every 10 \
        --inits subclone,subclone+distill,random --lr-grid 1e-3,3e-3,1e-2 --subclone-lr 1e-3 --seeds 3 --json ;;
  # MiniLM -> half width, distilled toward the parent's sentence embeddings: 60 steps of 16 sentences, 2 seeds.
  minilm)
    "$subclone" compare minilm --out "$out/minilm-grid" --force --ratio 0.5 --steps 60 --batch 16 --seq 64 --eval-every 10 --eval-batches 4 \
        --inits subclone,random --lr-grid 3e-4,1e-3,3e-3 --subclone-lr 1e-3 --seeds 2 --json ;;
  # GPT-2 edge: subclone's best above sat at the grid's top (1e-2): both at 3e-2, and subclone at 3e-2 against
  # random at 1e-2 as the presets (same seeds and batches: the random 1e-2 runs repeat the ones above exactly).
  gpt2-edge)
    "$subclone" compare "$out/gpt2-parent" --data "${ts[@]}" --tokenizer $S/stories260K/stories260K.bin --out "$out/gpt2-grid-edge" --force \
        --hidden 64 --heads 2 --ffn 256 --layers 3 --steps 200 --batch 16 --seq 128 --eval-every 10 \
        --inits subclone,random --lr-grid 3e-2 --subclone-lr 3e-2 --random-lr 1e-2 --seeds 3 --json ;;
  # A small ViT (4 x 128, patch 7: 16 patches + CLS) that Subclone pretrains on Fashion-MNIST in minutes, validated on
  # the first 2,000 test images (OUT/fm/t2k-*, cut from Debian's t10k files below), then its half-width child
  # best-vs-best: 150 steps of 128 images, grid 1e-3, 3e-3 (the ViT presets' WD: 0.005 subclone, 0.2 random), 2 seeds.
  vit-parent)
    FM=/usr/share/datasets/fashion-mnist; mkdir -p "$out/fm"
    python3 - "$FM" "$out/fm" <<'PY'
import gzip, struct, sys
src, dst, n = sys.argv[1], sys.argv[2], 2000
for kind, header in (("images-idx3", ">IIII"), ("labels-idx1", ">II")):
    data = gzip.open(f"{src}/t10k-{kind}-ubyte.gz").read()
    fields = list(struct.unpack(header, data[:struct.calcsize(header)])); item = 1
    for size in fields[2:]: item *= size
    fields[1] = n
    gzip.open(f"{dst}/t2k-{kind}-ubyte.gz", "wb").write(struct.pack(header, *fields) + data[struct.calcsize(header):][:n * item])
PY
    "$subclone" train --config experiments/vit-4x128-patch7-config.json --data $FM/train-images-idx3-ubyte.gz \
        --val-data "$out/fm/t2k-images-idx3-ubyte.gz" --out "$out/vit-parent" --force --steps 400 --batch 128 \
        --lr 1e-3 --wd 0.05 --warmup 40 --eval-every 100 --save-every 100 --seed 0 --json ;;
  vit)
    FM=/usr/share/datasets/fashion-mnist
    "$subclone" compare "$out/vit-parent" --out "$out/vit-grid" --ratio 0.5 --data $FM/train-images-idx3-ubyte.gz \
        --val-data "$out/fm/t2k-images-idx3-ubyte.gz" --steps 150 --batch 128 --eval-every 15 --inits subclone,random \
        --lr-grid 1e-3,3e-3 --subclone-lr 1e-3 --random-lr 1e-3 --seeds 2 --force --json ;;
  # Both ViT starts won at the grid's bottom (1e-3): once more downward.
  vit-edge)
    FM=/usr/share/datasets/fashion-mnist
    "$subclone" compare "$out/vit-parent" --out "$out/vit-grid-edge" --ratio 0.5 --data $FM/train-images-idx3-ubyte.gz \
        --val-data "$out/fm/t2k-images-idx3-ubyte.gz" --steps 150 --batch 128 --eval-every 15 --inits subclone,random \
        --lr-grid 3e-4 --subclone-lr 3e-4 --random-lr 3e-4 --seeds 2 --force --json ;;
  # The distillation arm of the GPT-2 sweep at each learning rate LR (1e-3, 3e-3, 1e-2, 3e-2), 3 seeds.
  gpt2-distill)
    "$subclone" compare "$out/gpt2-parent" --data "${ts[@]}" --tokenizer $S/stories260K/stories260K.bin --out "$out/gpt2-distill-${4:?LR}" --force \
        --hidden 64 --heads 2 --ffn 256 --layers 3 --steps 200 --batch 16 --seq 128 --eval-every 10 \
        --inits subclone+distill --subclone-lr "$4" --seeds 3 --json ;;
  # The larger parent's children at a 10x longer budget (400 steps), so random gets below the children's start
  # and a finite speed-up can be measured: grid 3e-3, 1e-2, 3 seeds, every 20 steps evaluated.
  both-400|width-400|depth-400)
    case $part in both-400) cut=(--ratio 0.5 --layers 3) ;; width-400) cut=(--ratio 0.5) ;; depth-400) cut=(--layers 3) ;; esac
    "$subclone" compare "$out/parent" --data "${ts[@]}" --tokenizer $S/stories260K/stories260K.bin --out "$out/parent-$part" --force "${cut[@]}" \
        --steps 400 --batch 8 --seq 128 --eval-every 20 --inits subclone,random --lr-grid 3e-3,1e-2 \
        --subclone-lr 3e-3 --random-lr 3e-3 --seeds 3 --json ;;
  # both-400's winners sat at the grid's edges (subclone at the top, random at the bottom): one point beyond each,
  # same seeds and batches (the figures across the two runs are paired per seed by experiments/cross.py, compare's own rule).
  both-400-edge)
    "$subclone" compare "$out/parent" --data "${ts[@]}" --tokenizer $S/stories260K/stories260K.bin --out "$out/parent-both-400-random-1e-3" --force \
        --ratio 0.5 --layers 3 --steps 400 --batch 8 --seq 128 --eval-every 20 --inits random --lr-grid 1e-3 --random-lr 1e-3 --seeds 3 --json
    "$subclone" compare "$out/parent" --data "${ts[@]}" --tokenizer $S/stories260K/stories260K.bin --out "$out/parent-both-400-subclone-3e-2" --force \
        --ratio 0.5 --layers 3 --steps 400 --batch 8 --seq 128 --eval-every 20 --inits subclone --lr-grid 3e-2 --subclone-lr 3e-2 --seeds 3 --json ;;
  *) echo "unknown part $part (see the usage line at the top)" >&2; exit 2 ;;
esac
