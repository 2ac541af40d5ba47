/**
 * Ends a program whose start failed part way: what it had already opened (a broker
 * listener, timers, a database) would otherwise keep a half-started service alive
 * and silent. The short delay lets the error reach a piped stderr first.
 */
export function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 200).unref();
}
