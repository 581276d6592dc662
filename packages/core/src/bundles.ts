/**
 * Typed credential bundles: a named set of secrets read together and validated as one object (the
 * original system's Spotify client id / secret / redirect URI is the first). Errors name the missing or
 * malformed secrets, never their values.
 */
import { z } from "zod";
import { InvalidInputError, NotFoundError } from "./errors.js";
import type { SecretManager } from "./manager/secret-manager.js";

export interface BundleDefinition<S extends z.ZodObject> {
  readonly id: string;
  readonly description: string;
  /** bundle field → secret name */
  readonly fields: { readonly [K in keyof z.infer<S>]: string };
  readonly schema: S;
}

export const spotifyBundle = {
  id: "spotify",
  description: "Spotify Web API client credentials",
  fields: { client_id: "SPOTIFY_CLIENT_ID", client_secret: "SPOTIFY_CLIENT_SECRET", redirect_uri: "SPOTIFY_REDIRECT_URI" },
  schema: z.object({ client_id: z.string().min(1), client_secret: z.string().min(1), redirect_uri: z.url() }),
} as const satisfies BundleDefinition<z.ZodObject>;

export type SpotifyCredentials = z.infer<typeof spotifyBundle.schema>;

export const BUNDLES = { spotify: spotifyBundle } as const;

export async function readBundle<S extends z.ZodObject>(manager: SecretManager, bundle: BundleDefinition<S>): Promise<z.infer<S>> {
  const raw: Record<string, string> = {};
  const missing: string[] = [];
  for (const [field, secretName] of Object.entries(bundle.fields) as Array<[string, string]>) {
    try {
      const v = await manager.get(secretName);
      raw[field] = v.text();
      v.wipe();
    } catch (err) {
      if (err instanceof NotFoundError) missing.push(secretName);
      else throw err;
    }
  }
  if (missing.length) {
    throw new NotFoundError(`${bundle.id} credentials for tenant ${manager.tenant} are incomplete: missing ${missing.join(", ")}`);
  }
  const r = bundle.schema.safeParse(raw);
  if (!r.success) {
    const bad = r.error.issues.map((i) => `${bundle.fields[i.path[0] as keyof typeof bundle.fields] ?? String(i.path[0])} (${i.message})`);
    throw new InvalidInputError(`${bundle.id} credentials for tenant ${manager.tenant} are malformed: ${bad.join(", ")}`);
  }
  return r.data;
}
