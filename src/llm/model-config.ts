/**
 * Per-request model overrides (the native API's `model_config`) and the one rule that decides
 * where a turn's request goes.
 */
import { z } from "zod";
import type { Config } from "../config";
import type { ErrorCode } from "../errors";
import { REDACTED, redactorOf } from "../lib/redact";
import { DEMO_MODEL, DemoProvider } from "./demo";
import { FallbackProvider } from "./fallback";
import { listModels } from "./models";
import { OpenAIProvider } from "./openai";
import { urlRefusal } from "./outbound";
import type { ChatProvider } from "./provider";
import { RedactingProvider } from "./redacting";
import { RetryingProvider } from "./retry";
import { TimedProvider } from "./timeouts";

export const ModelConfigSchema = z.object({
  model_name: z.string().min(1).max(256).optional(),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
  api_key: z.string().min(1).max(1024).optional(),
  base_url: z.string().max(2048).optional(),
});

export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export type UpstreamChoice = { kind: "demo" } | { kind: "openai"; baseUrl?: string; apiKey?: string };

/** Why a caller's upstream or model was refused; the message names the field, never the key. */
export class UpstreamRefused extends Error {
  constructor(
    readonly param: string,
    message: string,
    readonly code: Extract<ErrorCode, "upstream_not_allowed" | "model_not_found"> = "upstream_not_allowed",
  ) {
    super(message);
  }
}

/**
 * Decides the upstream for one request. A caller-chosen `base_url` must be on
 * `UPSTREAM_ALLOWLIST` and must come with the caller's own key: the server's key is never sent
 * to a host the caller chose.
 */
export function resolveUpstream(config: Config, mc: ModelConfig | undefined): UpstreamChoice {
  if (mc?.base_url !== undefined) {
    let url: URL;
    try {
      url = new URL(mc.base_url);
    } catch {
      throw new UpstreamRefused("model_config.base_url", "model_config.base_url is not a valid URL");
    }
    const refusal = urlRefusal(url, config.upstreamAllowlist, "model_config.base_url");
    if (refusal) throw new UpstreamRefused("model_config.base_url", refusal);
    if (!mc.api_key)
      throw new UpstreamRefused(
        "model_config.api_key",
        "model_config.base_url requires model_config.api_key (the server's key is never sent to a caller-chosen host)",
      );
    return { kind: "openai", baseUrl: url.toString().replace(/\/$/, ""), apiKey: mc.api_key };
  }
  if (mc?.api_key) return { kind: "openai", baseUrl: config.openaiBaseUrl, apiKey: mc.api_key };
  const choice = upstreamForModel(config, resolveModel(config, mc?.model_name));
  // The operator pays for what runs on the server's key: only the models they named run on it.
  if (choice.kind !== "demo" && !modelServed(config, mc?.model_name)) {
    throw new UpstreamRefused(
      "model",
      `model "${mc?.model_name}" is not served here (GET /v1/models lists those that are)`,
      "model_not_found",
    );
  }
  return choice;
}

/**
 * Whether a model name may run on the server's key: a name `GET /v1/models` lists, a model an
 * alias points to, or a front-end role name (which means the default model), unless
 * `ALLOW_ANY_MODEL` passes every name through.
 */
export function modelServed(config: Config, requested: string | undefined): boolean {
  if (config.allowAnyModel || requested === undefined || FRONT_END_MODELS.has(requested)) return true;
  return listModels(config).includes(requested) || Object.values(config.modelAliases).includes(requested);
}

/** The server's upstream for a model: the `PROVIDERS` entry that lists it, else `OPENAI_*`, else the demo. */
function upstreamForModel(config: Config, model: string): UpstreamChoice {
  const named = config.providers.find((p) => p.models.includes(model));
  if (named) return { kind: "openai", baseUrl: named.baseUrl, apiKey: named.apiKey };
  if (config.openaiApiKey || config.openaiBaseUrl)
    return { kind: "openai", baseUrl: config.openaiBaseUrl, apiKey: config.openaiApiKey };
  if (config.providers.length) {
    throw new UpstreamRefused("model", `model "${model}" is not served here (see GET /v1/models)`, "model_not_found");
  }
  return { kind: "demo" };
}

/** A real upstream gets the fault handling: timeouts inside, retries around them. */
export function createProvider(choice: UpstreamChoice, config?: Config): ChatProvider {
  if (choice.kind === "demo") return new DemoProvider();
  const upstream = new OpenAIProvider(choice);
  if (!config) return upstream;
  const timed = new TimedProvider(upstream, { firstTokenMs: config.firstTokenTimeoutMs, idleMs: config.idleTimeoutMs });
  return new RetryingProvider(timed, { retries: config.upstreamRetries });
}

/**
 * The provider for a turn, its output scrubbed of every configured secret (and of the caller's
 * own key). With `PROVIDERS` fallbacks for the model (and no caller-chosen upstream), a chain
 * that moves to the next model when one fails before its first token.
 */
export function createModelProvider(config: Config, mc: ModelConfig | undefined): ChatProvider {
  const redactor = redactorOf(config.secrets).with(mc?.api_key ? [[mc.api_key, REDACTED]] : []);
  return new RedactingProvider(chainFor(config, mc), redactor);
}

function chainFor(config: Config, mc: ModelConfig | undefined): ChatProvider {
  const first = createProvider(resolveUpstream(config, mc), config);
  const model = resolveModel(config, mc?.model_name);
  const fallbacks = mc?.base_url || mc?.api_key ? [] : (config.fallback[model] ?? []);
  if (fallbacks.length === 0) return first;
  return new FallbackProvider([
    { model, provider: first },
    ...fallbacks.map((m) => ({ model: m, provider: createProvider(upstreamForModel(config, m), config) })),
  ]);
}

/**
 * Names that the Vercel AI chatbot template (the Next.js line-stream front end) sends as `model`
 * whatever the server has: they name a role, not a model, so no upstream knows them. Unless
 * `MODEL_ALIASES` says otherwise they mean `DEFAULT_MODEL`.
 */
const FRONT_END_MODELS: ReadonlySet<string> = new Set([
  "chat-model",
  "chat-model-reasoning",
  "title-model",
  "artifact-model",
]);

/** The model to ask for: the caller's, else the default, through `MODEL_ALIASES`. */
export function resolveModel(config: Config, requested: string | undefined): string {
  const name = requested ?? config.defaultModel;
  // Own keys only: a name like "constructor" must not find Object's prototype.
  if (Object.hasOwn(config.modelAliases, name)) return config.modelAliases[name];
  return FRONT_END_MODELS.has(name) ? config.defaultModel : name;
}

/** The model a turn names in its replies and stored messages: the demo model names itself. */
export function turnModel(config: Config, mc: ModelConfig | undefined): string {
  return resolveUpstream(config, mc).kind === "demo" ? DEMO_MODEL : resolveModel(config, mc?.model_name);
}
