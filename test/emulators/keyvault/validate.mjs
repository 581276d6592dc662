// Request bodies checked as the service documents them: value (25k bytes, "About Azure Key Vault
// secrets"), contentType (255 characters, same page), tags (15 pairs, names 512 and values 256
// characters: Azure's tag limits), attributes (enabled boolean, nbf/exp as seconds since the epoch).
import { errors } from "./errors.mjs";

export const MAX_VALUE_BYTES = 25_600;
export const MAX_CONTENT_TYPE = 255;
export const MAX_TAGS = 15;
export const MAX_TAG_NAME = 512;
export const MAX_TAG_VALUE = 256;

const isObject = (x) => typeof x === "object" && x !== null && !Array.isArray(x);

export function parseJson(text) {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw errors.badParameter("The request body is not valid JSON.");
  }
}

function checkContentType(ct) {
  if (ct === undefined || ct === null) return undefined;
  if (typeof ct !== "string") throw errors.badParameter("Property contentType must be a string.");
  if (ct.length > MAX_CONTENT_TYPE) throw errors.badParameter(`Property contentType is longer than ${MAX_CONTENT_TYPE} characters.`);
  return ct;
}

function checkTags(tags) {
  if (tags === undefined || tags === null) return undefined;
  if (!isObject(tags)) throw errors.badParameter("Property tags must be an object of string values.");
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw errors.badParameter(`Too many tags: ${entries.length}. At most ${MAX_TAGS} tags are allowed.`);
  for (const [k, v] of entries) {
    if (typeof v !== "string") throw errors.badParameter(`Tag ${k} must have a string value.`);
    if (k.length === 0 || k.length > MAX_TAG_NAME) throw errors.badParameter(`Tag names must be 1 to ${MAX_TAG_NAME} characters.`);
    if (v.length > MAX_TAG_VALUE) throw errors.badParameter(`Tag values must be at most ${MAX_TAG_VALUE} characters (tag ${k}).`);
  }
  return { ...tags };
}

function checkAttributes(a) {
  if (a === undefined || a === null) return {};
  if (!isObject(a)) throw errors.badParameter("Property attributes must be an object.");
  const out = {};
  if (a.enabled !== undefined && a.enabled !== null) {
    if (typeof a.enabled !== "boolean") throw errors.badParameter("Attribute enabled must be a boolean.");
    out.enabled = a.enabled;
  }
  for (const k of ["nbf", "exp"]) {
    if (a[k] === undefined || a[k] === null) continue;
    if (!Number.isInteger(a[k]) || a[k] < 0) throw errors.badParameter(`Attribute ${k} must be a time in seconds since 1970-01-01 UTC.`);
    out[k] = a[k];
  }
  if (out.nbf !== undefined && out.exp !== undefined && out.nbf > out.exp) throw errors.badParameter("Attribute nbf must not be later than exp.");
  return out;
}

/** The body of Set Secret (PUT /secrets/{name}). */
export function setBody(body) {
  if (!isObject(body)) throw errors.badParameter("The request body must be a JSON object with a value.");
  if (typeof body.value !== "string") throw errors.badParameter("Property value is required and must be a string.");
  const size = Buffer.byteLength(body.value, "utf8");
  if (size > MAX_VALUE_BYTES) throw errors.badParameter(`The secret value is ${size} bytes, beyond the maximum permitted size of ${MAX_VALUE_BYTES} bytes.`);
  return { value: body.value, contentType: checkContentType(body.contentType), tags: checkTags(body.tags), attributes: checkAttributes(body.attributes) };
}

/** The body of Update Secret (PATCH /secrets/{name}/{version}): every field optional. */
export function updateBody(body) {
  if (body === undefined) return { attributes: {} };
  if (!isObject(body)) throw errors.badParameter("The request body must be a JSON object.");
  return { contentType: checkContentType(body.contentType), tags: checkTags(body.tags), attributes: checkAttributes(body.attributes) };
}

/** The body of Restore Secret: { value: base64url backup blob }. */
export function restoreBody(body) {
  if (!isObject(body) || typeof body.value !== "string" || body.value.length === 0) throw errors.badParameter("Property value (the backup blob) is required.");
  return body.value;
}
