#!/usr/bin/env bash
# Device check for a machine with an NVIDIA GPU and no network, in well under ten minutes.
#
# Needs what a networked machine built beforehand, in this tree:
#   mvn -Pgpu package -DskipTests -pl gateway -am   (gateway/target/neutrino-gateway-gpu.jar and
#                                                    model-repo/target/example-repository)
# and, on the GPU machine, the NVIDIA driver, CUDA 12 with cuDNN 9 (ONNX Runtime's GPU build), and
# CUDA 13.1 with TensorRT 10.15 libraries on the library path (the bytedeco presets' JNI natives).
#
# It prints: nvidia-smi; `doctor` (which ORT providers start, CUDA, GPUs, TensorRT, each example
# model's placement); then GpuCheck on recommender_mlp and text_encoder: where each target really
# runs (ORT CPU, ORT CUDA, ORT TensorRT FP32/FP16, native TensorRT engines FP32/FP16 built here),
# agreement with the CPU (FP32 1e-5, FP16 1e-2), batch of N == N batches of 1, and in-process rows/s.
# Exit code: GpuCheck's (0 when every target loaded on its device and agreed with the CPU).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/gateway/target/neutrino-gateway-gpu.jar"
MODELS="$ROOT/model-repo/target/example-repository"
SECONDS_PER_TARGET="${SECONDS_PER_TARGET:-5}"
BATCH="${BATCH:-32}"

if [[ ! -f "$JAR" || ! -d "$MODELS" ]]; then
  echo "gpu/check.sh: $JAR or $MODELS is missing; build them where Maven Central is reachable:" >&2
  echo "  mvn -Pgpu package -DskipTests -pl gateway -am" >&2
  exit 2
fi

echo "== nvidia-smi"
timeout 30 nvidia-smi || echo "(nvidia-smi not available)"
echo
echo "== doctor"
timeout 120 java -cp "$JAR" dev.neutrino.gpu.Doctor --model-repository "$MODELS" || echo "(doctor exit code $?)"
echo
echo "== GpuCheck (${SECONDS_PER_TARGET}s per target, batch $BATCH)"
# 2 models x 6 targets x (load + engine build + SECONDS_PER_TARGET): about 3 to 6 minutes at the defaults.
exec timeout 480 java -Xmx4g -cp "$JAR" dev.neutrino.gpu.GpuCheck "$MODELS" \
  --seconds "$SECONDS_PER_TARGET" --batch "$BATCH" --models recommender_mlp,text_encoder
