/**
 * Machine-to-machine OAuth (`"auth": {"type": "client_credentials", …}`): the Worker is the
 * client, with a secret or a private key (`private_key_jwt`) from its own secrets, and no user
 * is involved. Its tokens are the deployment's, not an owner's: each isolate keeps them in
 * memory until the server refuses them, and nothing is stored.
 */

import type {
  AddClientAuthentication,
  OAuthClientProvider,
  OAuthDiscoveryState,
} from "@modelcontextprotocol/sdk/client/auth.js";
import { createPrivateKeyJwtAuth } from "@modelcontextprotocol/sdk/client/auth-extensions.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { McpAuthConfig, McpServerConfig } from "../servers";
import { CLIENT_NAME } from "./provider";

type Machine = Extract<McpAuthConfig, { type: "client_credentials" }>;

interface Held {
  client: OAuthClientInformationMixed;
  tokens?: OAuthTokens;
  discovery?: OAuthDiscoveryState;
}

/** Per isolate, per server URL and client: few servers, so no bound is needed beyond the config's. */
const held = new Map<string, Held>();

export class MachineOAuthProvider implements OAuthClientProvider {
  readonly addClientAuthentication?: AddClientAuthentication;
  private readonly held: Held;

  constructor(
    server: McpServerConfig,
    private readonly auth: Machine,
  ) {
    const key = JSON.stringify([server.url, auth.clientId, auth.clientSecret ?? "", auth.privateKey ? "key" : ""]);
    let entry = held.get(key);
    if (!entry) {
      entry = {
        client: { client_id: auth.clientId, ...(auth.clientSecret ? { client_secret: auth.clientSecret } : {}) },
      };
      held.set(key, entry);
    }
    this.held = entry;
    if (auth.privateKey) {
      this.addClientAuthentication = createPrivateKeyJwtAuth({
        issuer: auth.clientId,
        subject: auth.clientId,
        privateKey: auth.privateKey,
        alg: auth.algorithm ?? "ES256",
      });
    }
  }

  /** None: no user agent takes part. */
  get redirectUrl(): undefined {
    return undefined;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: CLIENT_NAME,
      redirect_uris: [],
      grant_types: ["client_credentials"],
      token_endpoint_auth_method: this.auth.privateKey ? "private_key_jwt" : "client_secret_basic",
      ...(this.auth.scope ? { scope: this.auth.scope } : {}),
    };
  }

  clientInformation(): OAuthClientInformationMixed {
    return this.held.client;
  }

  saveClientInformation(client: OAuthClientInformationMixed): void {
    this.held.client = client;
  }

  tokens(): OAuthTokens | undefined {
    return this.held.tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.held.tokens = tokens;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.held.discovery;
  }

  saveDiscoveryState(discovery: OAuthDiscoveryState): void {
    this.held.discovery = discovery;
  }

  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): void {
    if (scope === "all" || scope === "tokens") this.held.tokens = undefined;
    if (scope === "all" || scope === "discovery") this.held.discovery = undefined;
  }

  prepareTokenRequest(scope?: string): URLSearchParams {
    const params = new URLSearchParams({ grant_type: "client_credentials" });
    if (scope) params.set("scope", scope);
    return params;
  }

  redirectToAuthorization(): never {
    throw new Error("client_credentials has no authorization step");
  }

  saveCodeVerifier(): void {}

  codeVerifier(): never {
    throw new Error("client_credentials has no authorization step");
  }
}
