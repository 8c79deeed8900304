/**
 * Checks the environment the services would start with and names every bad variable, before
 * scripts/services.sh starts them (moleculer-runner would print a stack trace around the list).
 * Exit code 2 on a bad setting.
 */
import { ConfigError, loadConfig } from "../lib/config";

try {
  loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(2);
}
