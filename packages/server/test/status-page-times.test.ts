// The status page's times, rendered at a fixed "now": relative text, ISO time in datetime and title.
import { describe, expect, it } from "vitest";
import { renderStatusPage } from "../src/status-page.js";

describe("status page times", () => {
  it('says "5 minutes ago" with the ISO time on hover, and how far behind each mirror is', () => {
    const now = new Date("2030-01-01T12:00:00.000Z");
    const html = renderStatusPage({
      version: "0.1.0",
      now,
      providers: {},
      routes: [
        { name: "r", source: "a", targets: ["b"], schedule: undefined, lastRun: { finishedAt: new Date("2030-01-01T11:55:00.000Z"), ok: true }, pending: 0 },
      ],
      runs: [],
      audit: [],
      mirrors: [
        { tenant: "acme", mirror: "aws", lastSyncedAt: new Date("2030-01-01T09:00:00.000Z") },
        { tenant: "acme", mirror: "vault", lastSyncedAt: undefined },
      ],
    });
    expect(html).toContain('<time datetime="2030-01-01T11:55:00.000Z" title="2030-01-01T11:55:00.000Z">5 minutes ago</time>');
    expect(html).toContain(
      '<td>acme</td><td>aws</td><td><time datetime="2030-01-01T09:00:00.000Z" title="2030-01-01T09:00:00.000Z">3 hours ago</time></td><td>at most 3 hours</td>',
    );
    expect(html).toContain("<td>acme</td><td>vault</td><td>never synced</td><td>everything (never synced)</td>");
  });
});
