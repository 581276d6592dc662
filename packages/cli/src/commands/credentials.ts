import type { Command } from "commander";
import { readBundle, spotifyBundle } from "@polyvault/core";
import type { Runner } from "../main.js";
import { EXIT } from "../exit-codes.js";

export function registerCredentials(program: Command, run: Runner): void {
  const credentials = program.command("credentials").description("typed credential bundles");
  credentials
    .command("spotify")
    .description("Spotify client_id, client_secret and redirect_uri from the tenant's SPOTIFY_* secrets")
    .requiredOption("--tenant <tenant>", "tenant id")
    .action(
      run(async (ctx, opts: { tenant: string }) => {
        const creds = await readBundle((await ctx.runtime()).manager(opts.tenant), spotifyBundle);
        ctx.out.result(creds, () => Object.entries(creds).map(([k, v]) => `${k}=${v}`));
        return EXIT.OK;
      }),
    );
}
