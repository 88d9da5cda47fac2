#!/bin/bash
# facesynth on Slurm: one array task per shard, one Blender per task.
#   sbatch --export=ALL,RECIPE=/shared/recipes/my.yaml,OUT=/shared/datasets/my docs/jobs/slurm-array.sh
# Shard I of N renders the indices i with i % N == I; the union of all shards is the whole dataset.
# Re-submitting the same array resumes: finished samples are skipped, broken ones re-rendered.
#SBATCH --job-name=facesynth
#SBATCH --array=0-63
#SBATCH --cpus-per-task=8
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --signal=B:TERM@120
#SBATCH --output=logs/facesynth-%A_%a.log
set -euo pipefail

: "${RECIPE:?set RECIPE to the recipe file}"
: "${OUT:?set OUT to the dataset directory (a path every node mounts)}"

# Face packs: point FACESYNTH_HOME at a shared directory where `facesynth assets import ict-facekit
# --from ARCHIVE` was run once (the built-in head needs nothing). Or set ICT_ARCHIVE and a
# node-local FACESYNTH_HOME: the first task on each node imports the pack (flock: one at a time).
export FACESYNTH_HOME="${FACESYNTH_HOME:-/shared/facesynth-home}"
if [[ -n "${ICT_ARCHIVE:-}" ]]; then
    mkdir -p "$FACESYNTH_HOME"
    (
        flock 9
        facesynth assets list | grep '^ict-facekit' | grep -qv 'not imported' \
            || facesynth assets import ict-facekit --from "$ICT_ARCHIVE"
    ) 9>"$FACESYNTH_HOME/.import.lock"
fi

# SIGTERM (pre-emption, --signal above) finishes the current sample and exits 130; --requeue
# then runs the task again, which resumes. --progress json: one line per sample in the log.
exec facesynth render "$RECIPE" --out "$OUT" \
    --shard-index "$SLURM_ARRAY_TASK_ID" --shard-count "$SLURM_ARRAY_TASK_COUNT" \
    --progress json
