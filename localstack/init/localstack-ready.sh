#!/bin/bash
# LocalStack ready hook (mounted into /etc/localstack/init/ready.d/): seeds the sample tenant `acme` in
# Secrets Manager. Runs inside the LocalStack container, where `awslocal` is the AWS CLI aimed at it.
#
# The secret is written the way another tool would write it: no Polyvault markers. It sits exactly where
# Polyvault keeps acme's secret `legacy/api-key` (<prefix>/<tenant>/<name>, default prefix `polyvault`),
# so `polyvault secrets list --tenant acme` shows it as not managed, and Polyvault refuses to change it.
set -euo pipefail

NAME="polyvault/acme/legacy/api-key"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

if awslocal secretsmanager describe-secret --secret-id "$NAME" >/dev/null 2>&1; then
  echo "polyvault sample: $NAME already exists"
  exit 0
fi
awslocal secretsmanager create-secret \
  --name "$NAME" \
  --description "Sample secret of tenant acme, created by another tool (not managed by Polyvault)" \
  --secret-string "sample-value-written-by-the-init-hook" \
  --tags Key=team,Value=payments >/dev/null
echo "polyvault sample: created $NAME in Secrets Manager"
