/**
 * Operations endpoints, without a token (bind the gateway to an internal interface or put them behind
 * the load balancer's rules): /health (the process), /health/secrets (each provider: up or down,
 * latency, breaker), /metrics (Prometheus) and /openapi.json. None of them holds a secret name or value.
 */
import type { GatewayMetrics } from "../metrics/registry.js";
import type { HealthMonitor } from "../health.js";
import { type RouteDef, route } from "../route.js";
import { HealthResponse, ProvidersHealthResponse } from "../schemas.js";

export function opsRoutes(health: HealthMonitor, metrics: GatewayMetrics, version: string, openapi: () => unknown): RouteDef[] {
  const started = Date.now();
  return [
    route({
      method: "GET",
      url: "/health",
      summary: "The gateway process is up",
      tag: "operations",
      auth: false,
      responses: { 200: { description: "Up", schema: HealthResponse } },
      handler: async () => ({ status: "ok", uptimeSeconds: Math.round((Date.now() - started) / 1000), version }),
    }),
    route({
      method: "GET",
      url: "/health/secrets",
      summary: "Each provider: up or down, probe latency, circuit-breaker state",
      tag: "operations",
      auth: false,
      responses: { 200: { description: "ok when every provider is up, else degraded (reads may be served by mirrors)", schema: ProvidersHealthResponse } },
      handler: async (_input, _req, reply) => {
        const providers = await health.check();
        reply.header("cache-control", "no-store");
        return { status: Object.values(providers).every((p) => p.up && p.breaker !== "open") ? "ok" : "degraded", providers };
      },
    }),
    route({
      method: "GET",
      url: "/metrics",
      summary: "Prometheus metrics (text exposition format)",
      tag: "operations",
      auth: false,
      responses: { 200: { description: "Metrics", contentType: "text/plain" } },
      handler: async (_input, _req, reply) => {
        const { text, contentType } = await metrics.render();
        reply.type(contentType);
        return text;
      },
    }),
    route({
      method: "GET",
      url: "/openapi.json",
      summary: "This API's OpenAPI 3.1 document",
      tag: "operations",
      auth: false,
      responses: { 200: { description: "The document" } },
      handler: async () => openapi(),
    }),
  ];
}
