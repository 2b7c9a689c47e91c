#!/usr/bin/env bash
# The prepared GPU check of the CuPy backend (issue 6), in one call on a lent GPU machine:
#   1. installs spikesim from this tree and the peers from wheels carried in wheels/
#      (pip download them first: see docs/cupy.md); the machine's own torch and CuPy are used;
#   2. runs the CuPy GPU tests (conformance vs the reference, training kernels);
#   3. benchmarks W1 (spikesim vs SpikingJelly 0.0.0.0.14 CuPy and 2.0, norse), W2, and W2
#      streamed at batch 1, 16 and 256 (run(), stream() in chunks, step());
#   4. checks training accuracy parity of fp32 / tf32 / bf16 on shd-synth;
#   5. writes results.jsonl, report.md, pytest.xml and gpu_check.log into $OUT.
# Each stage has a time limit, trimmed so the whole script ends within $BUDGET seconds;
# STAGES="tests w1-spikesim" runs only the stages named.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/spikesim-gpu-check}
PY=${PY:-python3}
BUDGET=${BUDGET:-420}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 CUPY_CACHE_DIR=/tmp/cupy-cache
LOG="$OUT/gpu_check.log"
RES="$OUT/results.jsonl"
: >"$LOG"
: >"$RES"
SITE=/tmp/peers-site
SJ14=/tmp/sj14-site

stage() {  # stage NAME LIMIT_S COMMAND...: run with a timeout, log, never abort the script
    local name=$1 limit=$2
    shift 2
    if [[ -n "${STAGES:-}" && " $STAGES " != *" $name "* ]]; then
        return  # STAGES="tests w1-spikesim ..." runs only the stages named
    fi
    local left=$((BUDGET - SECONDS - 10))
    if ((left < 15)); then
        echo "== $name skipped: budget spent" | tee -a "$LOG"
        return
    fi
    ((limit > left)) && limit=$left
    echo "== $name (limit ${limit}s, at ${SECONDS}s)" | tee -a "$LOG"
    timeout "$limit" "$@" >>"$LOG" 2>&1
    echo "== $name rc=$? after ${SECONDS}s" | tee -a "$LOG"
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$LOG"
"$PY" -m pip install -q --no-deps --no-build-isolation --no-index -e . >>"$LOG" 2>&1 ||
    "$PY" -m pip install -q --no-deps --no-build-isolation --no-index . >>"$LOG" 2>&1 ||
    echo "spikesim install failed" | tee -a "$LOG"
"$PY" -m pip install -q --no-deps --no-index --no-compile --target "$SITE" wheels/loguru-*.whl wheels/nir-*.whl \
    wheels/nirtorch-*.whl wheels/norse-*.whl wheels/spikingjelly-2.0.0-*.whl >>"$LOG" 2>&1
"$PY" -m pip install -q --no-deps --no-index --no-compile --target "$SJ14" wheels/spikingjelly-0.0.0.0.14-*.whl >>"$LOG" 2>&1
"$PY" -m spikesim info | tee -a "$LOG"

B="$PY benchmarks/cupy_gpu.py"
stage tests 170 "$PY" -m pytest -q -p no:cacheprovider --junitxml="$OUT/pytest.xml" \
    tests/cupy/test_cupy_conformance.py tests/cupy/test_cupy_training.py
tail -n 15 "$LOG" | grep -E "passed|failed|error" | tail -n 3
stage env 30 $B env --out "$RES"
stage kernels 60 $B kernels --out "$RES"
stage linear 60 $B linear --out "$RES"
stage w1-spikesim 90 $B w1 --lib spikesim --out "$RES"
stage w1-sj14 70 env PYTHONPATH="$SJ14" $B w1 --lib sj --out "$RES"
stage transfers 30 $B transfers --reps 500 --out "$RES"
for batch in 1 16 256; do  # the default; one thread per CSR sum; split edges on their GEMM
    stage stream 40 $B stream --batch $batch --out "$RES"
    stage stream-thread 40 $B stream --batch $batch --warp-max 0 --out "$RES"
    stage stream-split 40 $B stream --batch $batch --csr-max 0 --out "$RES"
done
stage w2 70 env PYTHONPATH="$SITE" $B w2 --out "$RES"
stage w1-sj2 80 env PYTHONPATH="$SITE" $B w1 --lib sj --sj-impl triton --out "$RES"
stage w1-norse 60 env PYTHONPATH="$SITE" $B w1 --lib norse --out "$RES"
stage parity 60 $B parity --epochs 10 --seeds 3 --data-root /tmp/spikesim-data --out "$RES"
$B report --out "$RES" >"$OUT/report.md" 2>>"$LOG"
cat "$OUT/report.md"
echo "== done after ${SECONDS}s"
