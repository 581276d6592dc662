// The errors the Key Vault service answers with, as documented or as the service itself words them
// (docs/testing.md lists each with its source). Every error body is {"error":{"code","message"}}, with an
// "innererror" where the service sends one.
export class KvError extends Error {
  constructor(status, code, message, inner, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.inner = inner;
    this.headers = headers;
  }
  body() {
    return { error: { code: this.code, message: this.message, ...(this.inner ? { innererror: { code: this.inner } } : {}) } };
  }
}

const HELP = "For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182";

export const errors = {
  missingToken: () => new KvError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."),
  badApiVersion: (v, latest) =>
    new KvError(400, "BadParameter", `The specified version (${v}) is not recognized. Consider using the latest supported version (${latest}).`),
  missingApiVersion: () => new KvError(400, "BadParameter", "The api-version query parameter is missing."),
  invalidName: (name) => new KvError(400, "BadParameter", `The request URI contains an invalid name: ${name}`),
  badParameter: (message) => new KvError(400, "BadParameter", message),
  notFound: (idName) =>
    new KvError(
      404,
      "SecretNotFound",
      `A secret with (name/id) ${idName} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. ${HELP}`,
    ),
  deletedNotFound: (name) => new KvError(404, "SecretNotFound", `Deleted Secret not found: ${name}`),
  disabled: (op) => new KvError(403, "Forbidden", `Operation ${op} is not allowed on a disabled secret.`, "SecretDisabled"),
  purgeProtected: () =>
    new KvError(
      403,
      "Forbidden",
      'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.',
    ),
  deletedButRecoverable: (name) =>
    new KvError(
      409,
      "Conflict",
      `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
      "ObjectIsDeletedButRecoverable",
    ),
  beingDeleted: (name) => new KvError(409, "Conflict", `Secret ${name} is currently being deleted.`, "ObjectIsBeingDeleted"),
  beingRecovered: (name) =>
    new KvError(409, "Conflict", `Secret ${name} is currently being recovered and cannot be re-created; retry later.`, "ObjectIsBeingRecovered"),
  alreadyExists: (name) => new KvError(409, "Conflict", `Secret ${name} already exists.`),
  badBackup: () => new KvError(400, "BadParameter", "Backup blob contains invalid or corrupt version."),
  throttled: (retryAfterSeconds) =>
    new KvError(429, "Throttled", "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached", undefined, {
      "retry-after": String(retryAfterSeconds),
    }),
  noRoute: (method, path) => new KvError(404, "NotFound", `No operation ${method} ${path} in the Key Vault secrets API.`),
  notAllowed: (method, path) => new KvError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}' (${path}).`),
  tooLargeBody: () => new KvError(413, "RequestEntityTooLarge", "The request body is too large."),
};
