#!/usr/bin/env bash
# Reproduces the ViT experiment in docs/results.md: Subclone pretrains a ViT (6 x 192, patch 4) on Fashion-MNIST,
# then `subclone compare` trains the half-width and the half-depth child from a subcloned, a uniform (Weight
# Selection) and a random start with the paper's ViT presets on the same batches. Needs Debian's
# dataset-fashion-mnist (apt-get install -y dataset-fashion-mnist). Each compare writes metrics.csv, loss.png
# (accuracy vs epoch) and summary.json. About 35 min for the parent, then about an hour for the two comparisons side by side, on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-experiments/out}
FM=/usr/share/datasets/fashion-mnist
mkdir -p "$out"
dotnet publish src/Subclone.Cli -c Release -o "$out/bin" -v q -nologo >/dev/null
subclone="$out/bin/Subclone.Cli"

cat > "$out/vit-config.json" <<'JSON'
{"architectures": ["ViTForImageClassification"], "model_type": "vit", "hidden_size": 192, "num_hidden_layers": 6,
 "num_attention_heads": 6, "intermediate_size": 768, "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
 "attention_probs_dropout_prob": 0.0, "initializer_range": 0.02, "layer_norm_eps": 1e-12, "image_size": 28,
 "patch_size": 4, "num_channels": 1, "qkv_bias": true,
 "id2label": {"0": "T-shirt/top", "1": "Trouser", "2": "Pullover", "3": "Dress", "4": "Coat", "5": "Sandal",
              "6": "Shirt", "7": "Sneaker", "8": "Bag", "9": "Ankle boot"},
 "label2id": {"T-shirt/top": 0, "Trouser": 1, "Pullover": 2, "Dress": 3, "Coat": 4, "Sandal": 5, "Shirt": 6,
              "Sneaker": 7, "Bag": 8, "Ankle boot": 9}}
JSON

# 1. The parent: 4 epochs of the 60,000 training images, validated on the 10,000 test images (both cores).
OMP_NUM_THREADS=2 "$subclone" train --config "$out/vit-config.json" --data $FM/train-images-idx3-ubyte.gz \
    --val-data $FM/t10k-images-idx3-ubyte.gz --out "$out/fmnist-vit-6x192" --force --steps 1875 --batch 128 \
    --lr 1e-3 --wd 0.05 --warmup 100 --eval-every 250 --save-every 250 --seed 0 --json

# 2. Half width (192 -> 96, 6 -> 3 heads of 32, FFN 768 -> 384) and half depth (6 -> 3 blocks), one core each,
#    1000 steps of 128 images (2.1 epochs of the 60,000), evaluated on the 10,000 test images every 100 steps
#    (not on a held-out part of the training images: the parent has seen those, which would flatter its children).
common=(--data $FM/train-images-idx3-ubyte.gz --val-data $FM/t10k-images-idx3-ubyte.gz --steps 1000 --batch 128 --eval-every 100 --force --json)
OMP_NUM_THREADS=1 "$subclone" compare "$out/fmnist-vit-6x192" --out "$out/fmnist-half-width" --ratio 0.5 "${common[@]}" &
OMP_NUM_THREADS=1 "$subclone" compare "$out/fmnist-vit-6x192" --out "$out/fmnist-half-depth" --layers 3 "${common[@]}" &
wait
