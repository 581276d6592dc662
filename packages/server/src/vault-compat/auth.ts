/**
 * Who is calling, exactly as the REST listener decides it (app.ts): the token comes from
 * `X-Vault-Token` (what every Vault client sends) or `Authorization: Bearer`; with `access` configured
 * it must be a principal's token (RequestScopes.authenticate: counted and audited when it is not);
 * without `access`, it must be the gateway's local token (local-token.ts), a failure counted and
 * audited the same way, and the caller then acts as the local operator.
 */
import type { RequestScopes } from "@polyvault/runtime";
import type { FastifyRequest } from "fastify";
import { UnauthorizedError } from "@polyvault/core";
import { checkLocalToken } from "../local-token.js";
import { presentedDigest } from "../rate-limit.js";

export interface LocalToken {
  readonly token: string;
  readonly file: string;
}

/** The token a Vault client sent, or undefined. */
export function tokenOf(req: Pick<FastifyRequest, "headers">): string | undefined {
  const header = req.headers["x-vault-token"];
  if (typeof header === "string" && header !== "") return header.trim();
  return /^Bearer +([\x21-\x7e]+) *$/i.exec(req.headers.authorization ?? "")?.[1];
}

/** The caller's principal; UnauthorizedError (counted, audited) otherwise. */
export async function authenticateVault(req: FastifyRequest, scopes: RequestScopes, local: LocalToken | undefined): Promise<string> {
  const token = tokenOf(req);
  const bearer = token === undefined ? undefined : `Bearer ${token}`;
  if (local && !scopes.security.enforcing) {
    try {
      checkLocalToken(bearer, local.token, local.file);
    } catch (err) {
      scopes.security.counters.inc("*");
      await scopes.security
        .record({ actor: "(unauthenticated)", action: "authenticate", outcome: "UNAUTHORIZED", reason: "not the local token", requestId: req.id })
        .catch(() => undefined);
      throw new UnauthorizedError(
        token === undefined
          ? `no token: this gateway runs without \`access\`; send its local token (from ${local.file}) as X-Vault-Token (VAULT_TOKEN)`
          : `the token is not this gateway's local token (${local.file})`,
        { cause: err },
      );
    }
  }
  try {
    return await scopes.authenticate(bearer, presentedDigest(req));
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err;
    throw new UnauthorizedError(
      token === undefined ? "no token: send a Polyvault token as X-Vault-Token (VAULT_TOKEN)" : "the token does not match any principal",
      {
        cause: err,
      },
    );
  }
}
