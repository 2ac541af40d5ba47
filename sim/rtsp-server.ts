import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * A live RTSP camera stream for tests and the demo: runs sim/rtsp-server.py (GStreamer's
 * RTSP server through python3-gi) and waits for its "ready rtsp://..." line.
 */

/** Debian packages the Python server needs (gstreamer1.0-x only for the clock overlay). */
export const RTSP_SERVER_PACKAGES = [
  'python3-gi',
  'gir1.2-gst-rtsp-server-1.0',
  'gstreamer1.0-plugins-base',
  'gstreamer1.0-plugins-good',
  'gstreamer1.0-plugins-ugly',
  'gstreamer1.0-x',
] as const;

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;

/**
 * The project root: the nearest folder above this file that holds package.json and
 * sim/rtsp-server.py. Works from sim/*.ts (vitest) and dist/sim/*.js (compiled), since
 * the .py file is not copied into dist/.
 */
export function rtspServerScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const script = join(dir, 'sim', 'rtsp-server.py');
    if (existsSync(join(dir, 'package.json')) && existsSync(script)) return script;
    const up = dirname(dir);
    if (up === dir) throw new Error(`sim/rtsp-server.py not found above ${dirname(fileURLToPath(import.meta.url))}`);
    dir = up;
  }
}

/**
 * The interpreter to run it with. python3-gi is installed for Debian's own Python, so
 * /usr/bin/python3 comes first: a `python3` earlier on PATH (pyenv, a venv) usually
 * lacks the gi module. RTSP_SIM_PYTHON overrides.
 */
export function rtspServerPython(): string {
  const override = process.env.RTSP_SIM_PYTHON;
  if (override) return override;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

function missingPackagesMessage(detail: string): string {
  return (
    `RTSP test server cannot start: GStreamer's RTSP server or its Python bindings are missing (${detail.trim()}). ` +
    `Install the Debian packages: apt-get install ${RTSP_SERVER_PACKAGES.join(' ')}`
  );
}

export class RtspTestServer {
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    exited: Promise<void>,
  ) {
    this.exited = exited;
  }

  /**
   * Why the server cannot run here (a message naming the missing Debian packages), or
   * undefined when python3-gi, GstRtspServer and an H.264 encoder are all importable.
   */
  static unavailableReason(): string | undefined {
    const probe = spawnSync(
      rtspServerPython(),
      [
        '-c',
        "import gi; gi.require_version('Gst','1.0'); gi.require_version('GstRtspServer','1.0'); " +
          'from gi.repository import Gst, GstRtspServer; Gst.init(None); ' +
          "missing=[n for n in ('videotestsrc','videoconvert','rtph264pay') if not Gst.ElementFactory.find(n)]; " +
          "enc=Gst.ElementFactory.find('x264enc') or Gst.ElementFactory.find('openh264enc'); " +
          "missing += [] if enc else ['x264enc']; print(' '.join(missing))",
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    if (probe.error) return missingPackagesMessage(`${rtspServerPython()}: ${probe.error.message}`);
    if (probe.status !== 0) return missingPackagesMessage(probe.stderr.split('\n').filter(Boolean).pop() ?? `exit ${probe.status}`);
    const missing = probe.stdout.trim();
    if (missing) return missingPackagesMessage(`no GStreamer element ${missing}`);
    return undefined;
  }

  /**
   * Starts a server on 127.0.0.1:port (0 = a free port) serving `path`; resolves once
   * it listens. Rejects after 15 s, or at once if the process exits, with its stderr;
   * when the bindings are missing the error names the Debian packages to install.
   */
  static start(port = 0, path = '/stream', options: { title?: string; width?: number; height?: number; fps?: number } = {}): Promise<RtspTestServer> {
    const args = [rtspServerScript(), '--host', '127.0.0.1', '--port', String(port), '--path', path, '--exit-on-stdin-eof'];
    if (options.title !== undefined) args.push('--title', options.title);
    if (options.width !== undefined) args.push('--width', String(options.width));
    if (options.height !== undefined) args.push('--height', String(options.height));
    if (options.fps !== undefined) args.push('--fps', String(options.fps));
    const python = rtspServerPython();
    const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    return new Promise<RtspTestServer>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const abort = (message: string) =>
        settle(() => {
          child.kill('SIGKILL');
          reject(new Error(message));
        });
      const timer = setTimeout(
        () => abort(`RTSP test server did not print "ready" within ${READY_TIMEOUT_MS / 1000} s; stderr: ${stderr.trim() || '(empty)'}`),
        READY_TIMEOUT_MS,
      );
      child.once('error', (e) => abort(e.message.includes('ENOENT') ? missingPackagesMessage(`${python} not found`) : e.message));
      child.once('exit', (code, signal) => {
        if (code === 3 || /MISSING_GSTREAMER|No module named 'gi'|Namespace GstRtspServer/.test(stderr)) {
          const cause = (stderr.split('\n').find((l) => l.includes('MISSING_GSTREAMER')) ?? stderr.split('\n')[0] ?? '')
            .replace(/^rtsp-server: (MISSING_GSTREAMER )?/, '')
            .replace(/; install .*$/, '');
          abort(missingPackagesMessage(cause));
        } else {
          abort(`RTSP test server exited (${signal ?? `code ${code}`}) before it was ready: ${stderr.trim() || '(no stderr)'}`);
        }
      });
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        const m = /^ready (rtsp:\/\/\S+)$/.exec(line.trim());
        if (m?.[1]) {
          const url = m[1];
          settle(() => resolve(new RtspTestServer(child, url, exited)));
        }
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM, then SIGKILL if it has not exited after 3 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(killer);
  }
}
