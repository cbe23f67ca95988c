#!/usr/bin/env bash
# Reproduces the "quality at initialisation" tables in docs/results.md: children cut from stories260K
# (held-out TinyStories loss) and from MiniLM (sentence-embedding cosine to the parent), by subcloning and
# by the baselines. Needs ../shared beside the checkout for stories260K and TinyStories.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Subclone.Cli -c Release -v q -nologo >/dev/null
subclone=src/Subclone.Cli/bin/Release/net10.0/subclone
shared=../shared/data
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

row() {  # label, then clone arguments
    local label=$1; shift
    printf '%s\t%s\n' "$label" "$("$subclone" clone "$@" --out "$out/child" --force --json)"
}

for shape in "--hidden 32 --heads 4 --kv-heads 2 --ffn 86 --layers 3" "--hidden 48 --heads 6 --kv-heads 3 --ffn 129 --layers 4"; do
    echo "# stories260K -> $shape"
    for init in "subclone:" "subclone-noscale:--no-scale" "uniform:--select uniform" "first:--select first" "random-select:--select random" "random-init:--random-init"; do
        # shellcheck disable=SC2086
        row "${init%%:*}" "$shared/stories260K/stories260K.bin" $shape ${init#*:} \
            --calib "$shared/tinystories/tinystories_train_first1000.txt" --calib-samples 64 --calib-length 256 --seed 0
    done
done

echo "# minilm -> --ratio 0.5 (hidden 192, 6 heads, FFN 768, 6 layers)"
for init in "subclone:" "subclone-noscale:--no-scale" "uniform:--select uniform" "first:--select first" "random-select:--select random" "random-init:--random-init"; do
    # shellcheck disable=SC2086
    row "${init%%:*}" minilm --ratio 0.5 ${init#*:} --calib-samples 256 --calib-length 128 --seed 0
done
