/**
 * Tests that need a program from a Debian package (`.ci/system-packages` installs them). Under
 * CI=true a missing one fails the test file; on a developer's machine the tests are skipped
 * with a line saying what to install.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** True when `command` runs (`--version` exits 0) or, for a path, the file exists. */
function available(command: string): boolean {
  if (command.includes('/')) return existsSync(command);
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether `command` can be used; throws under CI=true when it cannot, else warns once with the
 * package to install. Use as `const maybe = haveTool(...) ? it : it.skip`.
 */
export function haveTool(command: string, debianPackage: string, purpose: string): boolean {
  if (available(command)) return true;
  const advice = `${command} not found: ${purpose} needs it (Debian: apt-get install ${debianPackage}, or run \`npm run setup\`)`;
  if (process.env['CI'] === 'true') throw new Error(advice);
  console.warn(`skipping: ${advice}`);
  return false;
}
