#!/usr/bin/env bash
# Pack-and-install check: builds the publishable @abc/* packages, packs each with `pnpm pack` (so
# publishConfig.exports replaces the workspace exports, "workspace:*" becomes a version), lints every tarball
# with publint (--strict) and attw (--profile esm-only: the packages are ESM only), then installs the tarballs
# with npm into a scratch project OUTSIDE the workspace and runs scripts/pack-check/smoke.mjs there (imports
# every package, fits ABC, exports ONNX, scores it with onnxruntime-node cpu, checks that a missing optional
# peer gives BackendUnavailableError) and the packed `abc` bin (`npx abc list`, `abc fit`/`abc export --triton`).
#
#   bash scripts/pack-check.sh            (PACK_CHECK_KEEP=1 keeps the scratch folder; PACK_CHECK_NO_BUILD=1 skips the build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export TURBO_TELEMETRY_DISABLED=1 ONNXRUNTIME_NODE_INSTALL=skip
start=$(date +%s)
PACKAGES=(packages/core packages/engine packages/models packages/baselines packages/onnx-export packages/eval packages/search packages/serve packages/queue apps/cli)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/abc-pack-check.XXXXXX")
if [ "${PACK_CHECK_KEEP:-}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; else echo "scratch: $WORK"; fi
mkdir -p "$WORK/tarballs" "$WORK/app"

if [ "${PACK_CHECK_NO_BUILD:-}" != 1 ]; then
  filters=()
  for p in "${PACKAGES[@]}"; do filters+=("--filter=./$p"); done
  pnpm exec turbo run build "${filters[@]}" --output-logs=errors-only
fi

echo "== pack"
for p in "${PACKAGES[@]}"; do
  (cd "$p" && pnpm pack --pack-destination "$WORK/tarballs" >/dev/null)
done
ls "$WORK/tarballs"

echo "== publint --strict and attw --profile esm-only"
lint_failed=0
# attw loads TypeScript (seconds each): run the tarballs in parallel, then report in order
for t in "$WORK"/tarballs/*.tgz; do
  node_modules/.bin/attw --profile esm-only --format ascii "$t" > "$t.attw" 2>&1 && echo 0 > "$t.attw.rc" || echo $? > "$t.attw.rc" &
done
for t in "$WORK"/tarballs/*.tgz; do
  name=$(basename "$t")
  if out=$(node_modules/.bin/publint --strict "$t" 2>&1); then echo "publint $name: $(echo "$out" | tail -1)"; else echo "$out"; lint_failed=1; fi
done
wait
for t in "$WORK"/tarballs/*.tgz; do
  name=$(basename "$t")
  if [ "$(cat "$t.attw.rc")" = 0 ]; then
    echo "attw    $name: no problems (ESM-only profile: node10 and node16-from-CJS resolutions ignored)"
  else
    cat "$t.attw"; lint_failed=1
  fi
  rm -f "$t.attw" "$t.attw.rc"
  # the published exports must not carry the workspace-only "@abc/source" condition, nor a workspace: range
  tar -xOzf "$t" package/package.json | node -e '
    const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const bad = [];
    if (JSON.stringify(p.exports ?? {}).includes("@abc/source")) bad.push("exports still has the \"@abc/source\" condition");
    if (JSON.stringify({ ...p.dependencies, ...p.peerDependencies }).includes("workspace:")) bad.push("a workspace: range is left");
    if (p.publishConfig && Object.keys(p.publishConfig).some((k) => k !== "access")) bad.push("publishConfig was not applied");
    if (bad.length) { console.log(process.argv[1] + ": " + bad.join("; ")); process.exit(1); }
  ' "$name" || lint_failed=1
done
[ "$lint_failed" = 0 ] || { echo "pack-check: lint FAILED"; exit 1; }

echo "== install the tarballs into $WORK/app (npm, outside the workspace)"
node -e '
  const fs = require("fs"), path = require("path");
  const dir = process.argv[1];
  const deps = {};
  for (const f of fs.readdirSync(path.join(dir, "tarballs"))) {
    const pkg = JSON.parse(require("child_process").execFileSync("tar", ["-xOzf", path.join(dir, "tarballs", f), "package/package.json"]));
    deps[pkg.name] = "file:../tarballs/" + f;
  }
  // the CLI uses onnxruntime-node itself; onnx-export has it (and onnxruntime-web) as optional peers
  const app = { name: "abc-pack-check-app", private: true, type: "module", dependencies: { ...deps, "onnxruntime-node": "1.30.0" }, overrides: deps };
  fs.writeFileSync(path.join(dir, "app", "package.json"), JSON.stringify(app, null, 2));
' "$WORK"
cp scripts/pack-check/smoke.mjs "$WORK/app/"
(cd "$WORK/app" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
test ! -e "$WORK/app/node_modules/onnxruntime-web" || { echo "onnxruntime-web was installed though it is an optional peer"; exit 1; }

echo "== smoke.mjs"
(cd "$WORK/app" && node smoke.mjs)

echo "== the packed abc bin"
(
  set -e
  cd "$WORK/app"
  fail() { echo "pack-check: $*"; exit 1; }
  test -x node_modules/@abc/cli/dist/main.js || fail "dist/main.js is not executable"
  head -1 node_modules/@abc/cli/dist/main.js | grep -q '^#!/usr/bin/env node' || fail "dist/main.js has no shebang"
  npx --no-install abc list > list.txt
  grep -qE '^abc ' list.txt && grep -qE '^iforest ' list.txt || { cat list.txt; fail "abc list does not list abc and iforest"; }
  echo "npx abc list: $(grep -cE '^[a-z]' list.txt) detectors ($(grep -oE '^[a-z]+' list.txt | tr '\n' ' '))"
  printf 'x1,x2,label\n0.1,0.2,0\n0.2,0.1,0\n0.15,0.18,0\n0.12,0.22,0\n0.18,0.11,0\n3,3,1\n' > train.csv
  npx --no-install abc fit --detector iforest --data train.csv --label label --param nEstimators=10 --out m.abc >/dev/null 2>&1 || fail "abc fit failed"
  npx --no-install abc export --model m.abc --out m.onnx --triton triton --name iforest_demo
  test -s triton/iforest_demo/1/model.onnx && grep -q 'platform: "onnxruntime_onnx"' triton/iforest_demo/config.pbtxt || fail "abc export --triton wrote no model repository"
  npx --no-install abc score --model m.onnx --data train.csv --out scores.csv >/dev/null
  [ "$(wc -l < scores.csv)" = 7 ] || fail "abc score wrote $(wc -l < scores.csv) lines"
  echo "abc fit/export --triton/score (onnx, cpu): scores.csv $(head -1 scores.csv), last row $(tail -1 scores.csv)"
)

echo "pack-check OK in $(( $(date +%s) - start )) s"
