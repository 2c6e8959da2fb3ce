import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Unit tests get a small stand-in for the `vscode` module.
const vscodeStub = fileURLToPath(new URL("./test/unit/vscodeStub.ts", import.meta.url));

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
        resolve: { alias: { vscode: vscodeStub } },
      },
      {
        test: {
          name: "webview",
          include: ["test/webview/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 90_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // One server at a time on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
