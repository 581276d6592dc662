// The README's library snippets, run as a user's files in a project outside the workspace: the
// @polyvault packages are packed (npm pack: what `files` and `exports` publish) and unpacked into that
// project's node_modules as `npm install` of the tarballs would; their third-party dependencies are
// linked to the workspace's installed copies (no registry needed). The JavaScript form runs as an .mjs
// on the Node running the tests (20, 22 or 24); the TypeScript form is compiled with the documented
// settings and run the same way.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, blocks } from "./blocks.js";

const PACKAGES = ["core", "provider-file", "provider-aws", "provider-azure", "provider-vault", "sync", "runtime"];
const CLI = join(ROOT, "packages/cli/bin/polyvault.js");

const library = blocks("README.md").filter((b) => b.heading === "Using it as a library");
const js = library.find((b) => b.lang === "js");
const ts = library.find((b) => b.lang === "ts");

describe("README library snippets in a project outside the workspace", () => {
  const project = mkdtempSync(join(tmpdir(), "pv-user-project-"));
  const home = join(project, ".polyvault");
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, POLYVAULT_HOME: home };

  beforeAll(() => {
    const packs = join(project, "packs");
    mkdirSync(packs);
    const thirdParty = new Set<string>();
    for (const p of PACKAGES) {
      const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", packs, "-w", `packages/${p}`], { cwd: ROOT, encoding: "utf8" }).trim();
      const target = join(project, "node_modules", "@polyvault", p);
      mkdirSync(target, { recursive: true });
      execFileSync("tar", ["-xzf", join(packs, out.split("\n").at(-1) as string), "-C", target, "--strip-components=1"]);
      const manifest = JSON.parse(readFileSync(join(target, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
      for (const d of Object.keys(manifest.dependencies ?? {})) if (!d.startsWith("@polyvault/")) thirdParty.add(d);
    }
    for (const d of thirdParty) {
      const link = join(project, "node_modules", d);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(ROOT, "node_modules", d), link, "dir");
    }
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-app", private: true, type: "module" }));
    expect(spawnSync(process.execPath, [CLI, "init"], { cwd: project, env }).status).toBe(0);
    writeFileSync(
      join(project, ".env"),
      "SPOTIFY_CLIENT_ID=user-client\nSPOTIFY_CLIENT_SECRET=user-secret\nSPOTIFY_REDIRECT_URI=http://localhost:8000/callback\n",
    );
  }, 180_000);

  it("the packages carry only what they publish, and nothing of the workspace is on the path", () => {
    expect(readdirSync(join(project, "node_modules", "@polyvault")).sort()).toEqual([...PACKAGES].sort());
    expect(readdirSync(join(project, "node_modules", "@polyvault", "runtime")).sort()).toEqual(["dist", "package.json"]);
  });

  it(`the JavaScript snippet runs as an .mjs on Node ${process.version}`, () => {
    expect(js, "README has no ```js block under 'Using it as a library'").toBeDefined();
    writeFileSync(join(project, "app.mjs"), js?.code ?? "");
    const r = spawnSync(process.execPath, ["app.mjs"], { cwd: project, env, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("SPOTIFY_CLIENT_ID is version 1\nspotify redirect: http://localhost:8000/callback\n11 bytes\n");
  });

  it("the TypeScript `await using` snippet compiles with the documented settings and runs", () => {
    expect(ts, "README has no ```ts block under 'Using it as a library'").toBeDefined();
    writeFileSync(join(project, "app.ts"), ts?.code ?? "");
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const compile = spawnSync(
      process.execPath,
      [
        tsc,
        "--target",
        "es2022",
        "--lib",
        "es2022,esnext.disposable",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--types",
        "node",
        "--typeRoots",
        join(ROOT, "node_modules/@types"),
        "--strict",
        "--skipLibCheck",
        "app.ts",
      ],
      { cwd: project, encoding: "utf8" },
    );
    expect(compile.stdout + compile.stderr).toBe("");
    const r = spawnSync(process.execPath, ["app.js"], { cwd: project, env, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("11 bytes\n");
  });
});
