import { ConfigError } from '../protocols/config-file.js';
import { ConfigVersionError } from '../protocols/config-version.js';

/**
 * Runs a program's `main` and turns its outcome into the exit code both programs
 * document: 0 ok, 1 runtime failure, 2 bad usage or bad config. `main` resolves with
 * the code, or -1 for a service that keeps running (it exits on a signal).
 */
export function runMain(name: string, usage: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof ConfigError || err instanceof ConfigVersionError) {
        console.error(err.message);
        exitSoon(2);
      } else if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
        console.error(`${name}: ${err.message}\n\n${usage}`);
        exitSoon(2);
      } else {
        console.error(err);
        exitSoon(1);
      }
    },
  );
}

/**
 * Ends a program whose start failed part way: what it had already opened (a broker
 * listener, timers, a database) would otherwise keep a half-started service alive
 * and silent. The short delay lets the error reach a piped stderr first.
 */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 200).unref();
}
