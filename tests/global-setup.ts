import { execFileSync } from 'node:child_process';

/**
 * Integration tests run the compiled programs (node dist/...), exactly as production
 * does, so compile first; tsc is incremental and takes seconds when nothing changed.
 */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  execFileSync('npx', ['tsc', '-p', 'tsconfig.web.json'], { stdio: 'inherit' });
}
