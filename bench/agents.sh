#!/usr/bin/env bash
# Agent sessions on one node (switchyard-agent-bench, in-process, Release build): events
# through N sessions (with no effect, and with one emit per event), memory per live and
# per passivated session, and the time a session takes to come back from its snapshot and
# to replay its inbox. Runs REPS times and prints the medians.
#   bench/agents.sh [REPS]     SESSIONS (10000), EVENTS (200000), PASSIVATED (100000),
#                              RECOVERY (1000), ECHO_EVENTS (50000) override the sizes
# AGENT_BENCH overrides the binary (default: build/release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
bin=${AGENT_BENCH:-$root/build/release/bench/agents/switchyard-agent-bench}
out=${OUT:-/tmp/switchyard-agents}
rm -rf "$out" && mkdir -p "$out"
for r in $(seq "$reps"); do
  echo "== rep $r/$reps: one session" >&2
  "$bin" --sessions 1 --events "${EVENTS:-200000}" --passivated 0 --recovery 0 \
    --echo-sessions 1 --echo-events "${ECHO_EVENTS:-50000}" |
    tee -a "$out/runs.jsonl" >&2
  echo "== rep $r/$reps: ${SESSIONS:-10000} sessions, ${PASSIVATED:-100000} passivated" >&2
  "$bin" --sessions "${SESSIONS:-10000}" --events "${EVENTS:-200000}" \
    --passivated "${PASSIVATED:-100000}" --recovery "${RECOVERY:-1000}" \
    --echo-sessions 1000 --echo-events "${ECHO_EVENTS:-50000}" | tee -a "$out/runs.jsonl" >&2
done
python3 - "$out/runs.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def med(measure, key, sessions=None):
    vals = [r[key] for r in rows
            if r["measure"] == measure and (sessions is None or r["sessions"] == sessions)]
    return statistics.median(vals), min(vals), max(vals), len(vals)
many = max(r["sessions"] for r in rows if r["measure"] == "throughput")
echo_many = max(r["sessions"] for r in rows if r["measure"] == "effects")
for measure, key, unit, sessions in [("throughput", "events_per_s", "events/s through 1 session", 1),
                           ("throughput", "events_per_s", f"events/s through {many:,} sessions", many),
                           ("throughput", "kib_per_live_session", "KiB per live session", many),
                           ("effects", "events_per_s", "events/s through 1 session, an emit each", 1),
                           ("effects", "events_per_s", f"events/s through {echo_many:,} sessions, an emit each", echo_many),
                           ("passivated", "seconds", "s to start, handle and passivate them all", None),
                           ("passivated", "kib_per_passivated_session", "KiB per passivated session", None),
                           ("passivated", "still_live", "sessions still live after passivation", None),
                           ("recovery", "ms", "ms to come back from a snapshot after passivating", None),
                           ("replay", "ms_per_1000_events", "ms per 1000 inbox events replayed", None),
                           ("replay", "divergences", "divergences in replays", None)]:
    m, lo, hi, n = med(measure, key, sessions)
    print(f"{measure:<11} {m:>12,.2f} {unit} (min {lo:,.2f}, max {hi:,.2f}, {n} runs)")
ok = all(r.get("ok") for r in rows)
print("all runs completed" if ok else "SOME RUNS DID NOT COMPLETE")
PY
