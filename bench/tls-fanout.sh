#!/usr/bin/env bash
# Fanout over TLS: the same node binary serving ws:// and wss:// (tls.cert_file, a
# self-signed RSA-2048 certificate made for the run), runs interleaved
# (plain tls plain tls ...) so the noise of a small shared machine hits both alike.
# Scenarios: fanout S=100 and S=1000, closed loop, 128-byte events, durable. Prints a
# markdown table of medians with min-max and the TLS/plain ratio; JSON lines go to $OUT.
#   bench/tls-fanout.sh [REPS]
# SWITCHYARD_BIN and GEN override the node and generator (default: build/release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-3}
bin=${SWITCHYARD_BIN:-$root/build/release/runtime/switchyard}
gen=${GEN:-$root/build/release/bench/loadgen/switchyard-bench}
out=${OUT:-/tmp/switchyard-tls}
rm -rf "$out" && mkdir -p "$out"
ulimit -n "$(ulimit -Hn)"

certs=$(mktemp -d /tmp/sy-tls.XXXXXX)
trap 'rm -rf "$certs"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -keyout "$certs/key.pem" -out "$certs/cert.pem" 2>/dev/null

source "$root/bench/lib.sh"

tls_node=(--tls-cert-file "$certs/cert.pem" --tls-key-file "$certs/key.pem")
for subs in 100 1000; do
  for r in $(seq "$reps"); do
    echo "== fanout$subs rep $r/$reps: plain" >&2
    run_fresh "fanout$subs.plain" "$bin" -- --scenario fanout --subs "$subs" --duration 5
    echo "== fanout$subs rep $r/$reps: tls" >&2
    run_fresh "fanout$subs.tls" "$bin" "${tls_node[@]}" -- --scenario fanout --subs "$subs" --duration 5 --tls
  done
done

python3 - "$out" <<'PY'
import json, statistics, sys, pathlib
out = pathlib.Path(sys.argv[1])
print("| scenario | metric | plain median [min-max] | TLS median [min-max] | TLS / plain |")
print("|---|---|---:|---:|---:|")
for key in ("fanout100", "fanout1000"):
    for metric in ("deliveries_per_s", "latency_ms.p99", "deliveries_per_server_cpu_s"):
        vals = {}
        for side in ("plain", "tls"):
            f = out / f"{key}.{side}.jsonl"
            rows = [json.loads(l) for l in f.read_text().splitlines() if l.strip()] if f.exists() else []
            pick = lambda r: r.get("latency_ms", {}).get("p99") if metric == "latency_ms.p99" else r.get(metric)
            vals[side] = [pick(r) for r in rows if pick(r) is not None]
        if not vals["plain"] or not vals["tls"]:
            print(f"| {key} | {metric} | (no data) | (no data) | |")
            continue
        p, t = statistics.median(vals["plain"]), statistics.median(vals["tls"])
        digits = 2 if metric == "latency_ms.p99" else 0
        cell = lambda m, v: f"{m:,.{digits}f} [{min(v):,.{digits}f}-{max(v):,.{digits}f}]"
        print(f"| {key} | {metric} | {cell(p, vals['plain'])} | {cell(t, vals['tls'])} | {t / p:.2f} |")
PY
