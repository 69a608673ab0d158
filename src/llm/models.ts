/** The model names callers may ask for: what `GET /v1/models` lists. */
import type { Config } from "../config";

/**
 * `DEFAULT_MODEL` first, then `MODELS`, the models `PROVIDERS` serve, and the `MODEL_ALIASES`
 * names, each once. Aliases are listed by the name a caller uses, not the model they point to.
 * The front-end role names that `resolveModel` maps to the default model when no alias names them
 * are not listed: they are not models, and a model picker would show four names for one model.
 */
export function listModels(config: Config): string[] {
  const names = [
    config.defaultModel,
    ...config.models,
    ...config.providers.flatMap((p) => p.models),
    ...Object.keys(config.modelAliases),
  ];
  return [...new Set(names.filter((n) => n.trim() !== ""))];
}
