// The testkit's in-memory provider passes the conformance suite like the real providers, so the unit
// tests that use it (rotation, compliance, backup) stand on a provider that keeps the contract.
import { describeProviderConformance } from "../src/index.js";
import { type MemoryProvider, memoryProvider } from "../src/memory.js";

const store = memoryProvider({ name: "mem" });

describeProviderConformance({
  name: "memory",
  create: () => store,
  createUnreachable: () => {
    // A store that is gone: every call fails as unavailable.
    const down: MemoryProvider = memoryProvider({ name: "down" });
    down.failing.add("*");
    return down;
  },
  async seedUnmanaged(tenant, name, value) {
    store.plantUnmanaged(tenant, name, value);
  },
  async readRaw(tenant, name) {
    return store.raw(tenant, name);
  },
});
