#!/usr/bin/env bash
# A single-member etcd on loopback for ./dev.sh cluster and bench/cluster.sh (docs/cluster.md):
#   tools/etcd-loopback.sh DATA_DIR CLIENT_PORT PEER_PORT
# Runs in the foreground (callers put it in the background) with warnings on stderr, and
# waits for nothing: callers wait for CLIENT_PORT.
set -euo pipefail
dir=$1 client="http://127.0.0.1:$2" peer="http://127.0.0.1:$3"
exec etcd --name loopback --data-dir "$dir" \
  --listen-client-urls "$client" --advertise-client-urls "$client" \
  --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
  --initial-cluster "loopback=$peer" --logger zap --log-outputs stderr --log-level warn
