#!/usr/bin/env bash
# CPU time (user+sys, from /proc/<pid>/stat) per GET of one secret: `polyvault serve --workers N` (the
# primary and every worker) and the Vault dev server (file audit device on), each under wrk -c32 for 10 s.
# A figure that a loaded machine changes far less than req/s: it bounds what each server can serve on a
# quiet one (cores ÷ CPU per GET). Vault's count includes any other client's requests to the same server.
#   bash bench/gateway/cpu-per-get.sh 2        # after the build, Vault dev server up, wrk and bc on PATH
set -e
W=${1:-2}
BIN=$(cd "$(dirname "$0")/../.." && pwd)/packages/cli/bin/polyvault.js
D=$(mktemp -d); cd $D
export POLYVAULT_HOME=$D/data POLYVAULT_TOKEN=cpu-token-0123456789
node $BIN init >/dev/null
H=$(printf '%s' "$POLYVAULT_TOKEN" | sha256sum | cut -d' ' -f1)
printf 'providers:\n  local: { type: file }\naccess:\n  principals:\n    bench: { tokenSha256: "%s", roles: [{ role: admin, tenants: ["*"] }] }\n' $H > polyvault.yaml
node $BIN serve --workers $W --port 0 --json --log-level warn --rate-limit 1000000000 > out.txt &
PID=$!
for i in $(seq 1 120); do grep -q listening out.txt 2>/dev/null && break; sleep 0.5; done
URL=$(node -e 'console.log(JSON.parse(require("fs").readFileSync("out.txt","utf8")).listening)')
curl -s -X PUT -H "authorization: Bearer $POLYVAULT_TOKEN" -H 'content-type: application/json' -d '{"value":"postgres://app:bench-value-0123456789@db:5432/app"}' "$URL/v1/tenants/bench/secrets/db%2Furl" >/dev/null
cpu() { local t=0; for p in "$@"; do read -r -a f < /proc/$p/stat; t=$((t + f[13] + f[14])); done; echo $t; }
PIDS="$PID $(pgrep -P $PID | tr '\n' ' ')"
wrk -t2 -c32 -d2s -H "authorization: Bearer $POLYVAULT_TOKEN" "$URL/v1/tenants/bench/secrets/db%2Furl" >/dev/null
A=$(cpu $PIDS)
N=$(wrk -t2 -c32 -d10s -H "authorization: Bearer $POLYVAULT_TOKEN" "$URL/v1/tenants/bench/secrets/db%2Furl" | awk '/requests in/ {print $1}')
B=$(cpu $PIDS)
echo "polyvault --workers $W: $N requests, $(( (B - A) * 10 )) ms CPU => $(echo "scale=3; ($B - $A) * 10 / $N" | bc) ms CPU per GET; load $(cut -d' ' -f1 /proc/loadavg)"
kill -TERM $PID; wait $PID || true
VP=$(pgrep -f "vault server" | head -1)
curl -s -X POST -H "x-vault-token: polyvault-dev" -d '{"data":{"value":"x"}}' http://127.0.0.1:8200/v1/secret/data/pvcpu/db >/dev/null
curl -s -X PUT -H "x-vault-token: polyvault-dev" -d "{\"type\":\"file\",\"options\":{\"file_path\":\"$D/vault-audit.log\"}}" http://127.0.0.1:8200/v1/sys/audit/pvcpu$W >/dev/null
wrk -t2 -c32 -d2s -H "x-vault-token: polyvault-dev" http://127.0.0.1:8200/v1/secret/data/pvcpu/db >/dev/null
A=$(cpu $VP)
N=$(wrk -t2 -c32 -d10s -H "x-vault-token: polyvault-dev" http://127.0.0.1:8200/v1/secret/data/pvcpu/db | awk '/requests in/ {print $1}')
B=$(cpu $VP)
echo "vault: $N requests, $(( (B - A) * 10 )) ms CPU => $(echo "scale=3; ($B - $A) * 10 / $N" | bc) ms CPU per GET (other clients' requests included); load $(cut -d' ' -f1 /proc/loadavg)"
curl -s -X DELETE -H "x-vault-token: polyvault-dev" http://127.0.0.1:8200/v1/sys/audit/pvcpu$W >/dev/null
curl -s -X DELETE -H "x-vault-token: polyvault-dev" http://127.0.0.1:8200/v1/secret/metadata/pvcpu/db >/dev/null
rm -rf "$D"
