#!/usr/bin/env bash
# Reproduces "Which child? Searching the shape" in docs/results.md: subclone search at about a quarter of the
# parent's parameters, then subclone compare of the search's winner against the shape `--params` picks at the same
# budget, each at its best learning rate (--lr-grid) over 3 seeds. Parents: MiniLM (distilled toward its sentence
# embeddings on the default corpus) and the 6 x 128 GPT-2 that experiments/training-speed.sh pretrains (give its
# directory as GPT2_PARENT). Usage: experiments/search.sh OUT [minilm|gpt2|both]. Needs ../shared beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
out=${1:-experiments/out/search}
which=${2:-both}
mkdir -p "$out"
[ -x "$out/bin/Subclone.Cli" ] || dotnet publish src/Subclone.Cli -c Release -o "$out/bin" -v q -nologo >/dev/null
subclone="$out/bin/Subclone.Cli"
S=../shared/data

# search PARENT BUDGET NAME (search options...) -- (compare options...): the search, then both compares.
search_and_compare() {
    local parent=$1 budget=$2 name=$3; shift 3
    local search=() compare=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do search+=("$1"); shift; done
    shift; compare=("$@")
    SUBCLONE_PROGRESS=1 "$subclone" search "$parent" --params "$budget" --out "$out/$name-search" --force "${search[@]}"
    # The winner's shape, with its blocks chosen by influence as the search cut it.
    read -r -a winner <<< "$(jq -r '.winner.clone_args' "$out/$name-search/search.json")"
    # The two compares are independent: run side by side (one core each).
    "$subclone" compare "$parent" "${winner[@]}" --out "$out/$name-winner" --force --inits subclone "${compare[@]}" --json > "$out/$name-winner.json" &
    "$subclone" compare "$parent" --params "$budget" --out "$out/$name-params" --force --inits subclone "${compare[@]}" --json > "$out/$name-params.json" &
    wait
}

# Short budgets: the machine these ran on was shared by several jobs (one core each at best).
# The grids as reported: the first two points were run first and the outer ones added (as separate compares with the
# same seeds and batches, which reproduce a grid's runs exactly) because the bests sat at the edges.
grid=(--lr-grid 1e-4,1e-3,3e-3 --seeds 3)
if [ "$which" = minilm ] || [ "$which" = both ]; then
    # MiniLM (22.7M, 6 x 384) -> 6M parameters; 8 shapes at init, the best 2 probed for 40 steps.
    search_and_compare minilm 6M minilm --candidates 8 --top 2 --probe-steps 40 --lr-grid 1e-4,1e-3 --batch 16 --seq 32 --eval-batches 4 \
        -- --steps 80 --batch 16 --seq 32 --eval-every 20 --eval-batches 4 "${grid[@]}"
fi
if [ "$which" = gpt2 ] || [ "$which" = both ]; then
    gpt2=${GPT2_PARENT:-experiments/out/gpt2-parent}
    data=($S/tinystories/tinystories_train_first1000.txt $S/tinystories/tinystories_valid_prefix.txt)
    common=(--data "${data[@]}" --tokenizer $S/stories260K/stories260K.bin --batch 16 --seq 128)
    # The pretrained GPT-2 (6 x 128, about 1.3M parameters) -> 330k; 24 shapes at init, the best 4 probed for 60 steps.
    search_and_compare "$gpt2" 330k gpt2 "${common[@]}" --candidates 24 --top 4 --probe-steps 60 --lr-grid 1e-3,1e-2 --eval-batches 8 \
        -- "${common[@]}" --steps 150 --eval-every 25 --eval-batches 8 --lr-grid 3e-4,1e-3,1e-2,3e-2 --subclone-lr 1e-3 --seeds 3
fi
