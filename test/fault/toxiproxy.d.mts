// Types of toxiproxy.mjs for the TypeScript suites that import it.
export const name: string;
export const version: string;
export function env(): Record<string, string>;
export function install(): Promise<void>;
export function start(): Promise<{ endpoint: string }>;
export function stop(): Promise<void>;
export function running(): Promise<{ endpoint: string }>;
export function status(): Promise<{ state: "up" | "down"; endpoint: string }>;
export interface Toxic {
  readonly type: "latency" | "bandwidth" | "slow_close" | "timeout" | "reset_peer" | "slicer" | "limit_data";
  readonly stream?: "upstream" | "downstream";
  readonly toxicity?: number;
  readonly attributes: Record<string, number>;
}
export function createProxy(name: string, upstream: string): Promise<{ name: string; listen: string }>;
export function addToxic(proxy: string, toxic: Toxic): Promise<string>;
export function removeToxics(proxy: string): Promise<void>;
export function deleteProxy(proxy: string): Promise<void>;
