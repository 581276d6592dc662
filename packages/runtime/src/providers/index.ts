export { type BuildOptions, createProvider } from "./build.js";
export { type AnyProviderConfig, BUILTIN_PROVIDERS, ProviderRegistry, defaultRegistry, schemasOf } from "./registry.js";
