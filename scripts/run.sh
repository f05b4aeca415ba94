#!/usr/bin/env bash
# make run: serve the lab-1su sample fleet on SQLite and show CLI commands to try.
set -euo pipefail
BIN=${1:-bin/railyard} LISTEN=${2:-127.0.0.1:7443} DB=${3:-railyard.db}
"$BIN" serve --listen "$LISTEN" --db "$DB" --sample lab-1su --network-simulate --maint-simulate-bmc --maint-interval 1s &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' INT TERM EXIT
export RAILYARD_SERVER=$LISTEN
for _ in $(seq 1 150); do
  if "$BIN" get tenants >/dev/null 2>&1; then break; fi
  kill -0 "$pid" 2>/dev/null || { echo "railyard serve exited; see the log above" >&2; exit 1; }
  sleep 0.2
done
cat <<MSG

Railyard is serving the lab-1su sample (one DGX H100 scalable unit, 256 GPUs) from $DB
on $LISTEN, with its switches and UFM simulated in process (the vendors' stateful fakes)
and a simulated BMC behind every node for maintenance campaigns.
In another terminal, try:

  export RAILYARD_SERVER=$LISTEN
  $BIN get nodes
  $BIN get gpus --rack lab-su01-r01
  $BIN get gpus -o json | jq length
  $BIN get switches --role leaf
  $BIN describe node \$($BIN get nodes -o json | jq -r '.[0].hostname')
  $BIN validate
  $BIN export -f csv | head -3
  $BIN import inventory-samples/spreadsheet.csv --dry-run
  $BIN carve acme --gpus 64 --within leaf          # a 64-GPU block in one leaf domain
  $BIN tenant quota globex H100-SXM5-80GB=128
  $BIN carve globex --gpus 256 --within leaf        # refused, and told why in numbers
  $BIN carve list
  $BIN carve capacity
  $BIN network plan acme                          # per-device changes before anything is pushed
  $BIN network set acme                           # IB partition + storage VRF/VNI, pushed to the (simulated) switches and UFM
  $BIN network get acme
  $BIN network devices
  $BIN network release acme --wait 30s
  $BIN maint plan pc-1 --action power-cycle --max-offline 10%   # waves, expected duration, why nodes wait
  $BIN maint start pc-1 --action power-cycle --max-offline 10%
  $BIN maint status pc-1 --watch
  $BIN watch

Press Ctrl-C to stop.
MSG
wait "$pid"
