// Starts the mock upstream for the whole run and compiles the default config (the Worker entry bundles it).
import type { TestProject } from "vitest/node";
import { buildConfig } from "../scripts/build-config";
import { startMockUpstream } from "./mocks/upstream";

declare module "vitest" {
  export interface ProvidedContext {
    mockUrl: string;
  }
}

export default async function setup(project: TestProject) {
  await buildConfig(new URL("../config.yaml", import.meta.url).pathname);
  const mock = await startMockUpstream();
  project.provide("mockUrl", mock.url);
  return () => mock.close();
}
