// The JSON shapes of the REST reference: SecretBundle, SecretItem, DeletedSecretBundle/Item, and paged
// lists ({ value, nextLink }, at most 25 a page, continued by an opaque $skiptoken).
import { errors } from "./errors.mjs";

const secs = (ms) => Math.floor(ms / 1000);
export const MAX_PAGE = 25;

function attributes(vault, v) {
  return {
    enabled: v.enabled,
    ...(v.nbf !== undefined ? { nbf: v.nbf } : {}),
    ...(v.exp !== undefined ? { exp: v.exp } : {}),
    created: secs(v.created),
    updated: secs(v.updated),
    recoveryLevel: vault.recoveryLevel,
    ...(vault.recoverableDays !== undefined ? { recoverableDays: vault.recoverableDays } : {}),
  };
}

const common = (vault, v) => ({
  ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
  attributes: attributes(vault, v),
  ...(v.tags !== undefined ? { tags: v.tags } : {}),
});

function deletedPart(base, entry) {
  if (entry.deletedDate === undefined) return {};
  return { recoveryId: `${base}/deletedsecrets/${entry.name}`, deletedDate: secs(entry.deletedDate), scheduledPurgeDate: secs(entry.scheduledPurgeDate) };
}

/** A SecretBundle; the value only where the operation returns it (get and set). */
export function bundle(base, vault, { entry, version, deleted }, { withValue = false } = {}) {
  return {
    ...(withValue ? { value: version.value } : {}),
    id: `${base}/secrets/${entry.name}/${version.id}`,
    ...common(vault, version),
    ...(deleted ? deletedPart(base, entry) : {}),
  };
}

/** A SecretItem of a list: the secret's id without a version (the versions list names each version). */
export function item(base, vault, { entry, version, deleted }, { withVersion = false } = {}) {
  return {
    id: `${base}/secrets/${entry.name}${withVersion ? `/${version.id}` : ""}`,
    ...common(vault, version),
    ...(deleted ? deletedPart(base, entry) : {}),
  };
}

/** maxresults (1–25, default 25) and $skiptoken from the query; BadParameter for anything else. */
export function pageParams(query) {
  const raw = query.get("maxresults");
  const size = raw === null ? MAX_PAGE : Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE)
    throw errors.badParameter(`Invalid value for maxresults: ${raw}. The value must be between 1 and ${MAX_PAGE}.`);
  const token = query.get("$skiptoken");
  let after;
  if (token !== null) {
    try {
      after = JSON.parse(Buffer.from(token, "base64").toString("utf8")).NextMarker;
    } catch {
      after = undefined;
    }
    if (typeof after !== "string") throw errors.badParameter("The $skiptoken is not valid.");
  }
  return { size, after };
}

/** One page of `rows` (sorted by `key`), with a nextLink that continues after the last row. */
export function page(rows, key, { size, after }, linkBase, apiVersion, map) {
  const start = after === undefined ? 0 : rows.findIndex((r) => key(r) > after);
  const slice = start < 0 ? [] : rows.slice(start, start + size);
  const more = start >= 0 && start + size < rows.length;
  const last = slice.at(-1);
  const token = more && last ? Buffer.from(JSON.stringify({ NextMarker: key(last), TargetLocation: 0 })).toString("base64") : undefined;
  return {
    value: slice.map(map),
    nextLink: token ? `${linkBase}?api-version=${apiVersion}&$skiptoken=${encodeURIComponent(token)}&maxresults=${size}` : null,
  };
}
