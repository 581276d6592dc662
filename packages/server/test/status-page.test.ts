/**
 * The status page in a real browser: Debian's chromium, headless, driven by playwright-core, against
 * a listening gateway. It shows providers, routes, this gateway's syncs and recent audit events, runs
 * no script, and never shows a value or a secret name.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bed, TOKENS, bearer, bed } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const CANARY = "CANARY-status-page-4d2f9e";
const SECRET_NAME = "status-page-secret-name";

describe("status page in headless Chromium", () => {
  let b: Bed;
  let browser: BrowserContext;
  let url: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium with \`apt-get update && apt-get install -y chromium\``);
    b = await bed();
    const admin = bearer(TOKENS.admin);
    expect((await b.app.inject({ method: "PUT", url: `/v1/tenants/acme/secrets/${SECRET_NAME}`, headers: admin, payload: { value: CANARY } })).statusCode).toBe(
      200,
    );
    expect((await b.app.inject({ method: "GET", url: `/v1/tenants/acme/secrets/${SECRET_NAME}`, headers: bearer(TOKENS.reader) })).statusCode).toBe(403);
    await b.app.gateway.scopes.flushPushes();
    url = await b.app.listen({ host: "127.0.0.1", port: 0 });
    // A fresh profile directory (playwright passes it as --user-data-dir); Chromium as root in a
    // container: no sandbox; nothing that phones home.
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "pv-chromium-")), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await b?.close();
  });

  it("renders providers, routes, recent syncs and audit events, with no value, name or script", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const response = await page.goto(`${url}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'none'");
    expect(await page.title()).toBe("Polyvault gateway");
    expect(await page.locator("#overall").textContent()).toBe("All providers up");
    const cells = await page.locator("#providers tbody tr").evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));
    expect(cells.map((c) => [c[0], c[1], c[2], c[4]])).toEqual([
      ["local", "file", "up", "closed"],
      ["primary", "file", "up", "closed"],
      ["mirror", "file", "up", "closed"],
    ]);
    const routes = await page.locator("#routes tbody tr td").allTextContents();
    expect(routes.slice(0, 4)).toEqual(["acme-mirror", "primary", "mirror (envelope)", "manual"]);
    expect(routes[5]).toBe("ok");
    const runs = await page.locator("#runs tbody tr").evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));
    expect(runs[0]?.slice(1, 4)).toEqual(["acme-mirror", "push", "ok"]);
    const audit = await page.locator("#audit tbody tr").evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));
    expect(audit.map((r) => [r[1], r[2], r[3], r[5]])).toEqual(
      expect.arrayContaining([
        ["admin", "write", "acme", "ok"],
        ["reader", "read", "acme", "denied"],
      ]),
    );
    const html = await page.content();
    expect(html).not.toContain(CANARY);
    expect(html).not.toContain(SECRET_NAME);
    expect(await page.locator("script").count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('shows times as "… ago" with the ISO time on hover, and how far behind each mirror is', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    const times = page.locator("#routes tbody tr td time, #runs tbody tr td time, #audit tbody tr td time");
    expect(await times.count()).toBeGreaterThan(2);
    for (const t of await times.all()) {
      expect(await t.textContent()).toMatch(/^(\d+ (second|minute|hour|day)s? ago|in \d+ seconds?)$/);
      const iso = await t.getAttribute("datetime");
      expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(await t.getAttribute("title")).toBe(iso);
    }
    // The title is what a browser shows on hover.
    const first = times.first();
    await first.hover();
    expect(await first.evaluate((el) => (el as unknown as { title: string }).title)).toMatch(/Z$/);
    const mirrors = await page.locator("#mirrors tbody tr").evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));
    expect(mirrors).toHaveLength(1);
    expect(mirrors[0]?.slice(0, 2)).toEqual(["acme", "mirror"]);
    expect(mirrors[0]?.[2]).toMatch(/^\d+ (second|minute)s? ago$/);
    expect(mirrors[0]?.[3]).toMatch(/^at most \d+ (second|minute)s?$/);
  });

  it("shows a provider that went down", async () => {
    b.breakPrimary();
    const page = await browser.newPage();
    await page.goto(`${url}/`);
    expect(await page.locator("#overall").textContent()).toBe("Some providers are down: reads fail over to mirrors");
    const primary = await page.locator("#providers tbody tr", { hasText: "primary" }).locator("td").allTextContents();
    expect(primary.slice(0, 3)).toEqual(["primary", "file", "down"]);
    expect(primary[5]).toMatch(/EEXIST|ENOTDIR/);
  });
});
