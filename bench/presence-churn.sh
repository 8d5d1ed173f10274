#!/usr/bin/env bash
# Presence under churn: CONNS members (default 10000) on topic `room` with presence, then
# RATE joins + leaves per second (default 100) for DURATION seconds (default 20) by
# short-lived connections, on a fresh node per rep. Prints per rep the presence frames a
# member got per second against the node's batching budget, 1000/BATCH_MS (BATCH_MS,
# default 100, is passed as --presence-batch-ms): the busiest member's frames over the
# whole churn divided by its seconds (the budget), and the most in any one wall-clock
# second (a frame delayed on the loaded machine lands in the next second: shown, not
# judged); the changes each member saw against those made and the node's CPU; then the
# medians. Fails (exit 1) when a rep went over the budget, a member did not connect or
# dropped, or the members saw none of the changes.
#   bench/presence-churn.sh [REPS]
# SWITCHYARD_BIN and GEN override the node and generator (default: build/release). JSON
# lines go to $OUT/presence.jsonl.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
bin=${SWITCHYARD_BIN:-$root/build/release/runtime/switchyard}
gen=${GEN:-$root/build/release/bench/loadgen/switchyard-bench}
conns=${CONNS:-10000}
rate=${RATE:-100}
duration=${DURATION:-20}
batch_ms=${BATCH_MS:-100}
out=${OUT:-/tmp/switchyard-presence}
rm -rf "$out" && mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"
. "$root/bench/lib.sh"

# summarize rep REPORT REP LINES-BEFORE BATCH-MS: one line about the rep's report.
# summarize final REPORT REPS BATCH-MS CONNS: the medians and the verdict (the exit code).
summarize() {
  python3 - "$@" <<'PY'
import json, statistics, sys

mode, path = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(path) if l.strip()]

def budget(batch_ms):
    return 1000 / batch_ms

def faults(r, batch_ms):
    why = []
    if r.get("error") or r.get("connected") != r.get("conns"):
        why.append(f"{r.get('connected')}/{r.get('conns')} members connected")
    if r.get("disconnects", 0) > 0:
        why.append(f"{r['disconnects']} members dropped")
    top = r.get("presence_frames_per_member_s", {}).get("busiest_member_mean")
    # One frame of slack over the whole window: a push sent just before it began may be
    # read just after.
    limit = budget(batch_ms) + 1 / max(1, r.get("seconds_counted", 1))
    if top is not None and top > limit:
        why.append(f"{top} presence frames/s to the busiest member > {limit:g}")
    # A node that pushes nothing would pass the budget without being measured.
    if r.get("changes_made", {}).get("total", 0) > 0 and \
            r.get("changes_seen_per_member", {}).get("total", 0) == 0:
        why.append("changes were made but the members saw none")
    return why

def line(r):
    f = r["presence_frames_per_member_s"]
    made, seen = r["changes_made"]["total"], r["changes_seen_per_member"]["total"]
    cpu = r.get("server_cpu_s")
    return (f"frames/member/s busiest {f['busiest_member_mean']:.2f} mean {f['mean']:.2f} "
            f"(one second: max {f['max']} p99 {f['p99']}), "
            f"msgs/member/s mean {r['presence_msgs_per_member_s']['mean']:.2f}, "
            f"changes made {made} seen/member {seen:.0f}, "
            f"frames/s total {r['presence_frames_per_s_total']:.0f}, "
            f"delay p99 join {r['join_delay_ms']['p99']:.0f} leave {r['leave_delay_ms']['p99']:.0f} ms, "
            f"node cpu {'?' if cpu is None else f'{cpu:.1f}'} s, "
            f"dropped {r['disconnects']}")

if mode == "rep":
    rep, before, batch_ms = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    if len(rows) <= before:
        print(f"rep {rep}: no report")
        sys.exit(0)
    r = rows[-1]
    why = faults(r, batch_ms)
    body = line(r) if "presence_frames_per_member_s" in r else r.get("error", "")
    print(f"rep {rep}: {body}" + (f"  FAIL: {'; '.join(why)}" if why else ""))
    sys.exit(0)

reps, batch_ms, conns = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
done = [r for r in rows if "presence_frames_per_member_s" in r]
why = [w for r in rows for w in faults(r, batch_ms)]
if len(rows) < reps:
    why.append(f"{reps - len(rows)} of {reps} reps left no report")
if done:
    med = lambda pick: statistics.median(pick(r) for r in done)
    print(f"median of {len(done)} reps ({conns} members, budget {budget(batch_ms):g} frames/s): "
          f"frames/member/s busiest {med(lambda r: r['presence_frames_per_member_s']['busiest_member_mean']):.2f} "
          f"max in a second {med(lambda r: r['presence_frames_per_member_s']['max']):g} "
          f"p99 {med(lambda r: r['presence_frames_per_member_s']['p99']):g} "
          f"mean {med(lambda r: r['presence_frames_per_member_s']['mean']):.2f}, "
          f"changes made {med(lambda r: r['changes_made']['total']):g} "
          f"seen/member {med(lambda r: r['changes_seen_per_member']['total']):.0f}, "
          f"frames/s total {med(lambda r: r['presence_frames_per_s_total']):.0f}, "
          f"delay p99 join {med(lambda r: r['join_delay_ms']['p99']):.0f} "
          f"leave {med(lambda r: r['leave_delay_ms']['p99']):.0f} ms, "
          f"node cpu {med(lambda r: r.get('server_cpu_s') or 0):.1f} s")
print("FAIL: " + "; ".join(why) if why else "PASS")
sys.exit(1 if why else 0)
PY
}

report=$out/presence.jsonl
touch "$report"
for rep in $(seq "$reps"); do
  echo "== presence rep $rep/$reps" >&2
  before=$(wc -l <"$report")
  run_fresh presence "$bin" --presence-batch-ms "$batch_ms" -- --scenario presence --topic room \
    --conns "$conns" --rate "$rate" --duration "$duration"
  summarize rep "$report" "$rep" "$before" "$batch_ms"
done
summarize final "$report" "$reps" "$batch_ms" "$conns"
