/** vitest globalSetup (runs in Node): one scripted upstream for the Workers-runtime tests. */
import type { TestProject } from "vitest/node";
import { startScriptedUpstream } from "./scripted-upstream";

declare module "vitest" {
  export interface ProvidedContext {
    upstreamUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const upstream = await startScriptedUpstream();
  project.provide("upstreamUrl", upstream.url);
  return async () => {
    await upstream.close();
  };
}
