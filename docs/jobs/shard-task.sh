#!/bin/bash
# The generic pattern for render managers that hand a task its number: Deadline, OpenCue,
# Flamenco, a plain loop over ssh. Submit TASK_COUNT tasks; task k runs
#   docs/jobs/shard-task.sh RECIPE OUT k TASK_COUNT
# (Deadline: frames 0..N-1 with <STARTFRAME> as k; OpenCue: CUE_IFRAME; Flamenco: the task index.)
# Every sample is a pure function of recipe, seed and index: any split gives the same files.
set -euo pipefail

if [[ $# -ne 4 ]]; then
    echo "usage: $0 RECIPE OUT TASK_INDEX TASK_COUNT" >&2
    exit 2
fi
recipe=$1 out=$2 task_index=$3 task_count=$4

# Face packs: a shared FACESYNTH_HOME prepared once (`facesynth assets import ict-facekit --from
# ARCHIVE`), or, per node, an import into the node's own cache before the first task runs.
export FACESYNTH_HOME="${FACESYNTH_HOME:-/shared/facesynth-home}"

# Exit codes: 0 done, 2 bad input (fix and resubmit; do not retry), 1 failure during work
# (retrying the task resumes it), 130 stopped by SIGTERM/SIGINT (requeue resumes it).
exec facesynth render "$recipe" --out "$out" \
    --shard-index "$task_index" --shard-count "$task_count" --progress json
