#!/usr/bin/env bash
# The whole test suite on a fresh machine: setup (Docker, image, npm deps), typecheck,
# then every test. Leftover test daemons, containers, replica networks and iptables
# rules are removed before and after, even when a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"

cleanup() {
  pkill -f 'bin/meshd.js start --name test-' 2>/dev/null || true
  docker ps -aq --filter label=meshd.service --format '{{.ID}} {{.Label "meshd.node"}}' 2>/dev/null \
    | awk '$2 ~ /^(test-|rt-test)/ { print $1 }' | xargs -r docker rm -f >/dev/null 2>&1 || true
  # Their nodes' replica networks, once no container holds them.
  docker network ls -q --filter label=meshd.network=replicas --format '{{.ID}} {{.Label "meshd.node"}}' 2>/dev/null \
    | awk '$2 ~ /^(test-|rt-test)/ { print $1 }' | xargs -r docker network rm >/dev/null 2>&1 || true
  # Their replicas' volumes (stateful slots), and any copy container left holding one.
  docker ps -aq --filter label=meshd.volume-copy --filter name=meshd-test- 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker volume ls --filter label=meshd.node --format '{{.Name}} {{.Label "meshd.node"}}' 2>/dev/null \
    | awk '$2 ~ /^(test-|rt-test)/ { print $1 }' | xargs -r docker volume rm -f >/dev/null 2>&1 || true
  { iptables -S INPUT 2>/dev/null | grep -- '-j DROP' | grep '127\.0\.0\.' | sed 's/^-A /-D /' \
    | while read -r rule; do eval "iptables $rule" 2>/dev/null || true; done; } || true
}
trap cleanup EXIT
cleanup

echo "== typecheck"
tsc --noEmit -p .
echo "== unit tests (pure: no Docker, no processes)"
report="$(mktemp)"
status=0
vitest run --project unit --reporter=default --reporter=json --outputFile="$report.unit" "$@" || status=$?
echo "== integration tests (real daemons, Docker, network faults), in two lanes at once"
# The daemons run the bundle, as a release does (bin/meshd.js takes it when it is newer
# than every source): what ships is what is tested.
node scripts/build.ts
# Two lanes side by side, one file at a time in each: the files of
# test/integration/lane-b.txt, and all the others. No loopback address is used in both
# (test/lanes.test.ts), and each file cleans up only the nodes it started. Lane B's output
# is printed once both are done.
# The files of test/integration/solo.txt run alone afterwards.
mapfile -t lane_b < <(grep -v '^#' test/integration/lane-b.txt | grep .)
mapfile -t solo < <(grep -v '^#' test/integration/solo.txt | grep .)
excluded=()
for file in "${lane_b[@]}" "${solo[@]}"; do excluded+=(--exclude "$file"); done
vitest run --project integration --reporter=default --reporter=json --outputFile="$report.lane-b" "${lane_b[@]}" "$@" >"$report.lane-b.log" 2>&1 &
lane_b_pid=$!
vitest run --project integration --reporter=default --reporter=json --outputFile="$report.integration" "${excluded[@]}" "$@" || status=$?
wait "$lane_b_pid" || status=$?
echo "== integration tests, lane B (test/integration/lane-b.txt)"
cat "$report.lane-b.log"
echo "== integration tests run alone (test/integration/solo.txt)"
vitest run --project integration --reporter=default --reporter=json --outputFile="$report.solo" "${solo[@]}" "$@" || status=$?
node -e '
  let passed = 0, failed = 0, skipped = 0
  for (const file of process.argv.slice(1)) {
    try {
      const r = JSON.parse(require("fs").readFileSync(file, "utf8"))
      passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests
    } catch {}
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
' "$report.unit" "$report.integration" "$report.lane-b" "$report.solo" 2>/dev/null || true
rm -f "$report" "$report.unit" "$report.integration" "$report.lane-b" "$report.lane-b.log" "$report.solo"
exit "$status"
