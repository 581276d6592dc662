#!/bin/sh
# Seeds the sample tenant `acme` in Lowkey Vault (Azure Key Vault) and the Vault dev server, the way
# another tool would: no Polyvault markers, at exactly the native name where Polyvault keeps acme's
# secret `legacy/api-key`. Run once by the `seed` service of docker-compose.yml (curl image, POSIX sh).
set -eu

VALUE="sample-value-written-by-the-init-hook"

wait_for() { # url what [curl options...]
  url=$1 what=$2
  shift 2
  i=0
  until curl -fsS -o /dev/null "$@" "$url"; do
    i=$((i + 1))
    [ "$i" -lt 90 ] || { echo "seed: $what did not come up" >&2; exit 1; }
    sleep 2
  done
}

# --- Lowkey Vault ------------------------------------------------------------------------------------
# Lowkey picks the vault from the request's Host header, so every call below says Host localhost:8443
# (--connect-to sends it to the container while keeping that name), as Polyvault on the host will.
LOWKEY="curl -ksS --connect-to localhost:8443:${LOWKEY_HOST}"
wait_for "https://${LOWKEY_HOST}/ping" "Lowkey Vault" -k

# The vault https://localhost:8443 (alias https://127.0.0.1:8443), with soft delete and purge allowed,
# like a new Azure vault. Lowkey's management API needs no token.
if ! $LOWKEY https://localhost:8443/management/vault | grep -q '"baseUri":"https://localhost:8443"'; then
  $LOWKEY -f -X POST -H 'Content-Type: application/json' https://localhost:8443/management/vault \
    -d '{"baseUri":"https://localhost:8443","aliases":["https://127.0.0.1:8443"],"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90}' >/dev/null
  echo "seed: created the Key Vault https://localhost:8443 in Lowkey Vault"
fi

# Azure names allow only 0-9a-zA-Z-: Polyvault writes acme's `legacy/api-key` as
# polyvault--acme--legacy-sapi-hkey ('/' is -s, '-' is -h; docs/providers/azure.md). Lowkey accepts any
# bearer token.
$LOWKEY -f -X PUT -H 'Authorization: Bearer sample' -H 'Content-Type: application/json' \
  "https://localhost:8443/secrets/polyvault--acme--legacy-sapi-hkey?api-version=7.4" \
  -d "{\"value\":\"${VALUE}\",\"tags\":{\"team\":\"payments\"}}" >/dev/null
echo "seed: created polyvault--acme--legacy-sapi-hkey in Lowkey Vault"

# --- Vault -------------------------------------------------------------------------------------------
wait_for "${VAULT_ADDR}/v1/sys/health" "Vault"
VAULT="curl -sS -H X-Vault-Token:${VAULT_TOKEN}"

# cas 0: written only if the path has no version yet, so re-running the seed changes nothing.
code=$($VAULT -o /dev/null -w '%{http_code}' -X POST "${VAULT_ADDR}/v1/secret/data/polyvault/acme/legacy/api-key" \
  -d "{\"options\":{\"cas\":0},\"data\":{\"value\":\"${VALUE}\"}}")
case $code in
  200) echo "seed: created secret/polyvault/acme/legacy/api-key in Vault" ;;
  400) echo "seed: secret/polyvault/acme/legacy/api-key already exists in Vault" ;;
  *) echo "seed: writing to Vault answered HTTP $code" >&2; exit 1 ;;
esac

# A least-privilege token for tenant acme: what a deployment that gives each tenant its own Vault
# token would use (docs/providers/vault.md). Its id is fixed so README.md can name it.
$VAULT -f -X PUT "${VAULT_ADDR}/v1/sys/policies/acl/polyvault-acme" -d '{"policy":"path \"secret/data/polyvault/acme/*\" { capabilities = [\"create\", \"read\", \"update\", \"delete\"] }\npath \"secret/metadata/polyvault/acme/*\" { capabilities = [\"create\", \"read\", \"update\", \"delete\", \"list\"] }\n"}' >/dev/null
$VAULT -o /dev/null -X POST "${VAULT_ADDR}/v1/auth/token/create" \
  -d '{"id":"polyvault-acme-token","policies":["polyvault-acme"],"ttl":"720h","display_name":"polyvault-acme"}' || true
echo "seed: Vault policy polyvault-acme and token polyvault-acme-token ready"
echo "seed: done"
