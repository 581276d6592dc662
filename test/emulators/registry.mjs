// The provider servers, one module each. Every module exports:
//   name, version, env() -> { VAR: value } for the tests, install(), start() -> { endpoint },
//   stop(), status() -> { state: "up"|"down", endpoint }
const modules = {
  aws: () => import("./aws.mjs"),
  azure: () => import("./azure.mjs"),
  vault: () => import("./vault.mjs"),
};
const loaded = {};
for (const [name, load] of Object.entries(modules)) loaded[name] = await load();

export const ALL = Object.values(loaded);
export function byName(name) {
  const e = loaded[name];
  if (!e) throw new Error(`unknown provider server '${name}' (known: ${Object.keys(loaded).join(", ")})`);
  return e;
}
