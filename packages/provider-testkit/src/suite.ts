export function describeProviderConformance(_o: import("./index.js").ConformanceOptions): void { throw new Error("not yet"); }
