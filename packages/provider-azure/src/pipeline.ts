/**
 * A pipeline policy that carries per-call context the SDK drops, through AsyncLocalStorage:
 * - the deadline's abort signal, onto every request of the call — the SDK's pager fetches pages after
 *   the first without the caller's abortSignal, and a server that never answers must still time out;
 * - the `nextLink` of a list response: @azure/keyvault-secrets 4.11 re-maps each page with
 *   `page.map(...)`, which loses the page's continuationToken, so byPage() cannot be resumed from
 *   what it returns. The raw response still has it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { SecretClientOptions } from "@azure/keyvault-secrets";

type PolicyConfig = NonNullable<SecretClientOptions["additionalPolicies"]>[number];

export interface CallStore {
  readonly signal: AbortSignal;
  /** The next-page link of the last list response seen in this call (null: last page). */
  nextLink?: string | null;
}

const store = new AsyncLocalStorage<CallStore>();
/** GET /secrets, /deletedsecrets and /secrets/{name}/versions: the list operations. */
const LIST_PATH = /^\/(?:secrets|deletedsecrets|secrets\/[^/]+\/versions)\/?$/;

/** Runs `fn` (one SDK call) with its abort signal and a place for the next-page link. */
export function withCallStore<T>(signal: AbortSignal, fn: (s: CallStore) => Promise<T>): Promise<T> {
  const s: CallStore = { signal };
  return store.run(s, () => fn(s));
}

export const callContextPolicy: PolicyConfig = {
  position: "perCall",
  policy: {
    name: "polyvaultCallContext",
    async sendRequest(request, next) {
      const s = store.getStore();
      if (s && !request.abortSignal) request.abortSignal = s.signal;
      const response = await next(request);
      const type = response.headers.get("content-type") ?? "";
      if (
        s &&
        request.method === "GET" &&
        response.status === 200 &&
        type.includes("json") &&
        response.bodyAsText &&
        LIST_PATH.test(new URL(request.url).pathname)
      ) {
        const body = JSON.parse(response.bodyAsText) as { nextLink?: unknown; value?: unknown };
        // Only list responses have a `value` array; a single secret's body is left alone.
        if (Array.isArray(body.value)) s.nextLink = typeof body.nextLink === "string" && body.nextLink ? body.nextLink : null;
      }
      return response;
    },
  },
};
