import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// The server under test: the debug build from `make build-e2e` (its site in
// target/e2e-site, apart from the release one `make run` serves), on its own
// port with a fresh database in a temporary folder. CONFAB_E2E_RELEASE=1 tests
// the release build of `make run` instead (make test-e2e-release).
const port = Number(process.env.CONFAB_E2E_PORT || 3217);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "confab-e2e-"));
const root = path.resolve(__dirname, "..");
const release = process.env.CONFAB_E2E_RELEASE === "1";

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  forbidOnly: !!process.env.CI,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [{ name: "chromium" }],
  webServer: {
    command: `${root}/target/${release ? "release" : "debug"}/server`,
    cwd: root,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      CONFAB_ADDR: `127.0.0.1:${port}`,
      CONFAB_DATA_DIR: dataDir,
      LEPTOS_SITE_ROOT: `${root}/target/${release ? "site" : "e2e-site"}`,
      RUST_LOG: "warn",
      // Offline one second after the last tab closed, so the tests need not wait.
      CONFAB_PRESENCE_GRACE_MS: "1000",
    },
  },
});
