#!/usr/bin/env bash
# Rebuilds the WebAssembly SIMD module from wasm/gemm.c and wasm/ops.c and compares it byte for byte with the
# committed wasm/gemm.wasm, wasm/gemm-shared.wasm, src/kernels/wasm-bytes.generated.ts and
# src/kernels/wasm-bytes-shared.generated.ts.
# Exit 0: identical. Exit 1: a difference (commit the output of `bash packages/engine/wasm/build.sh`).
# Exit 2: the build failed. Without clang/lld: skips with exit 0 on a developer machine, but fails with
# exit 3 under CI=true (CI must install the Debian packages clang and lld).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pkg="$(dirname "$here")"
CLANG="${CLANG:-clang}"
kernels="$pkg/src/kernels"
committed_ts="$kernels/wasm-bytes.generated.ts"

is_ci() { case "${CI:-}" in true | 1 | yes | TRUE | True) return 0 ;; *) return 1 ;; esac; }

if ! command -v "$CLANG" >/dev/null 2>&1 || { ! command -v wasm-ld >/dev/null 2>&1 && ! command -v wasm-ld-14 >/dev/null 2>&1; }; then
  if is_ci; then
    echo "check-reproducible: FAIL: clang and wasm-ld are required in CI (apt-get install -y clang lld)" >&2
    exit 3
  fi
  echo "check-reproducible: SKIPPED: clang or wasm-ld not installed (apt-get install -y clang lld); not in CI"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! bash "$here/build.sh" "$tmp" >"$tmp/build.log" 2>&1; then
  cat "$tmp/build.log" >&2
  echo "check-reproducible: FAIL: the build failed" >&2
  exit 2
fi

status=0
for pair in "gemm.wasm:$here/gemm.wasm" "gemm-shared.wasm:$here/gemm-shared.wasm" \
  "wasm-bytes.generated.ts:$kernels/wasm-bytes.generated.ts" "wasm-bytes-shared.generated.ts:$kernels/wasm-bytes-shared.generated.ts"; do
  built="$tmp/${pair%%:*}"
  committed="${pair#*:}"
  if [ ! -f "$committed" ]; then
    echo "check-reproducible: FAIL: $committed is missing (run: bash packages/engine/wasm/build.sh)" >&2
    status=1
  elif ! cmp -s "$built" "$committed"; then
    echo "check-reproducible: FAIL: ${committed#"$pkg"/} differs from a fresh build of wasm/gemm.c + ops.c" >&2
    echo "  committed: $(wc -c <"$committed") bytes, sha256 $(sha256sum "$committed" | cut -d' ' -f1)" >&2
    echo "  rebuilt:   $(wc -c <"$built") bytes, sha256 $(sha256sum "$built" | cut -d' ' -f1)" >&2
    echo "  compiler:  $("$CLANG" --version | head -n1); committed with: $(sed -n 's#^// Built with: ##p' "$committed_ts")" >&2
    echo "  fix: run bash packages/engine/wasm/build.sh and commit wasm/*.wasm and the generated .ts files" >&2
    status=1
  fi
done
if [ "$status" -eq 0 ]; then
  echo "check-reproducible: OK: gemm.wasm ($(wc -c <"$here/gemm.wasm") bytes, sha256 $(sha256sum "$here/gemm.wasm" | cut -d' ' -f1)), gemm-shared.wasm ($(wc -c <"$here/gemm-shared.wasm") bytes) and the generated .ts files match a fresh build"
fi
exit "$status"
