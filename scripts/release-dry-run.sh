#!/usr/bin/env bash
# Release dry run: the changesets flow end to end without publishing anything.
#  1. clones the repository into a temporary folder (and, unless --committed, copies the uncommitted tracked and
#     untracked non-ignored files over it, so a local run sees the working tree as CI sees its checkout);
#  2. installs (offline-first from the pnpm store) and builds the publishable packages;
#  3. runs `pnpm version-packages` (changeset version + scripts/sync-versions.mjs) and checks its effects: every
#     pending changeset consumed, versions bumped, CHANGELOG.md written, the embedded VERSION constants synced;
#  4. shows the version changes and the new changelogs;
#  5. runs the publish command in dry-run mode: `pnpm publish -r --dry-run --no-git-checks` (what
#     `changeset publish` does for a pnpm workspace, without uploading) and checks every public package is in it.
# The workspace itself is never modified.  Usage: bash scripts/release-dry-run.sh [--committed] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
committed=0 keep=0
for a in "$@"; do
  case "$a" in
    --committed) committed=1 ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [--committed] [--keep]"; exit 2 ;;
  esac
done
export TURBO_TELEMETRY_DISABLED=1 ONNXRUNTIME_NODE_INSTALL=skip CI=true
start=$(date +%s)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/abc-release-dry-run.XXXXXX")
if [ "$keep" = 1 ]; then echo "clone kept at $TMP/repo"; else trap 'rm -rf "$TMP"' EXIT; fi

echo "== clone"
git clone --quiet --no-hardlinks "$ROOT" "$TMP/repo"
if [ "$committed" = 0 ]; then
  # tracked files with local changes and untracked files that git does not ignore
  # (none in a clean checkout such as CI's: then there is nothing to copy, and tar must not read an empty stream)
  changed=$(git ls-files --modified --others --exclude-standard | wc -l)
  if [ "$changed" -gt 0 ]; then
    git ls-files -z --modified --others --exclude-standard | (cd "$ROOT" && xargs -0 -r tar -cf - --ignore-failed-read 2>/dev/null) | tar -xf - -C "$TMP/repo"
    echo "($changed working-tree changes copied over the clone; --committed to release HEAD only)"
  fi
fi
cd "$TMP/repo"
git -c user.email=release@example.invalid -c user.name=release-dry-run commit -qam "dry run: working tree" --allow-empty >/dev/null 2>&1 || true
git add -A >/dev/null 2>&1 && git -c user.email=release@example.invalid -c user.name=release-dry-run commit -qm "dry run: untracked files" >/dev/null 2>&1 || true

echo "== install and build"
pnpm install --frozen-lockfile --prefer-offline --reporter=silent
PUBLIC=()
for f in packages/*/package.json apps/*/package.json; do
  if node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).private ? 1 : 0)' "$f"; then PUBLIC+=("$(dirname "$f")"); fi
done
filters=(); for p in "${PUBLIC[@]}"; do filters+=("--filter=./$p"); done
pnpm exec turbo run build "${filters[@]}" --output-logs=errors-only >/dev/null

versions() { for p in "${PUBLIC[@]}"; do node -p 'const p = require("./" + process.argv[1] + "/package.json"); p.name + "@" + p.version' "$p"; done; }
versions > "$TMP/before.txt"
pending=$(ls .changeset/*.md 2>/dev/null | grep -v README.md || true)
# the packages the pending changesets name (front matter lines like "@abc/core": minor)
named=$(sed -n '/^---$/,/^---$/p' $pending 2>/dev/null | grep -oE '^"[^"]+"' | tr -d '"' | sort -u || true)
echo "pending changesets: $(echo "$pending" | grep -c . || true)"
[ -n "$pending" ] || { echo "no pending changeset: nothing to release (add one with pnpm changeset)"; exit 0; }

echo "== pnpm version-packages"
pnpm version-packages
versions > "$TMP/after.txt"

fail() { echo "release-dry-run: $*"; exit 1; }
left=$(ls .changeset/*.md 2>/dev/null | grep -v README.md || true)
[ -z "$left" ] || fail "changesets left after changeset version: $left"
echo "== versions"
paste -d' ' "$TMP/before.txt" "$TMP/after.txt" | awk '{ printf "  %-28s -> %s\n", $1, $2 }'
cmp -s "$TMP/before.txt" "$TMP/after.txt" && fail "no version changed"
for pair in packages/core:packages/core/src/version.ts packages/onnx-export:packages/onnx-export/src/version.ts; do
  pkg=${pair%%:*} file=${pair#*:}
  v=$(node -p "require('./$pkg/package.json').version")
  grep -q "VERSION = '$v'" "$file" || fail "$file does not say VERSION = '$v'"
  echo "  $file: VERSION = '$v' (synced)"
done

echo "== changelogs"
for p in "${PUBLIC[@]}"; do
  if [ -f "$p/CHANGELOG.md" ]; then
    echo "--- $p/CHANGELOG.md"; sed -n '1,14p' "$p/CHANGELOG.md"
  fi
done
# every package a changeset names must have a changelog entry for its new version
for name in $named; do
  dir=$(for p in "${PUBLIC[@]}"; do if [ "$(node -p "require('./$p/package.json').name")" = "$name" ]; then echo "$p"; fi; done)
  [ -n "$dir" ] || fail "a changeset names $name, which is no public package here"
  version=$(node -p "require('./$dir/package.json').version")
  grep -q "^## $version" "$dir/CHANGELOG.md" 2>/dev/null || fail "$dir/CHANGELOG.md has no \"## $version\" entry"
  echo "  $name: CHANGELOG.md has ## $version"
done

echo "== pnpm publish -r --dry-run --no-git-checks"
pnpm publish -r --dry-run --no-git-checks > "$TMP/publish.log" 2>&1 || { cat "$TMP/publish.log"; fail "the publish dry run failed"; }
cat "$TMP/publish.log"; echo
for p in "${PUBLIC[@]}"; do
  name=$(node -p "require('./$p/package.json').name") version=$(node -p "require('./$p/package.json').version")
  grep -qF "$name@$version" "$TMP/publish.log" || { tail -40 "$TMP/publish.log"; fail "$name@$version is not in the publish dry run"; }
done
# what the registry would receive: internal ranges replaced by the new versions, no workspace-only condition
(cd packages/models && pnpm pack --pack-destination "$TMP" >/dev/null)
core=$(node -p "require('./packages/core/package.json').version")
tar -xOzf "$TMP"/abc-models-*.tgz package/package.json | node -e '
  const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
  if (p.dependencies["@abc/core"] !== process.argv[1]) { console.log("packed @abc/models depends on @abc/core " + p.dependencies["@abc/core"]); process.exit(1); }
  if (p.dependencies["@abc/engine"] !== process.argv[2]) { console.log("packed @abc/models depends on @abc/engine " + p.dependencies["@abc/engine"]); process.exit(1); }
  if (JSON.stringify(p.exports).includes("@abc/source")) { console.log("packed exports keep @abc/source"); process.exit(1); }
  console.log("  packed @abc/models@" + p.version + ": dependencies " + JSON.stringify(p.dependencies) + ", exports without @abc/source");
' "$core" "$(node -p "require('./packages/engine/package.json').version")" || fail "the packed package.json is wrong"
echo "publish dry run: ${#PUBLIC[@]} packages would be published (nothing was uploaded)"
echo "release dry run OK in $(( $(date +%s) - start )) s"
