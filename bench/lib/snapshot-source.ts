import { createServer, type Server } from 'node:http';
import sharp from 'sharp';
import { prng } from '../../scripts/lib/prng.js';

/**
 * Simulated cameras for benchmarks with thousands of them: one HTTP server answering
 * every camera's plain snapshot URL (`snapshotUrl` in the gateway's camera config, no
 * ONVIF, no Digest) from a pool of pictures rendered once at start. The ONVIF
 * simulator renders each picture on request and answers SOAP first, which is right
 * for one office and far too heavy for 2,500 cameras sharing two cores with the
 * central. Everything after the HTTP GET is the product's path: the gateway's camera
 * poller makes the thumbnail (sharp), frames it (protocols/snapshot/frame.ts) and
 * publishes it; the central verifies it, files the JPEG and writes ops.snapshot.
 *
 * A camera's consecutive pictures always differ, so no camera turns "stale".
 *
 * Phase spread: the gateways of a benchmark start within seconds of each other, and a
 * camera's first grab is at most 5 s after its gateway starts, after which it keeps
 * its interval (±10 %). Thousands of cameras would then grab in step, a burst every
 * interval, which offices booted at different times do not do. The fleet starts its
 * host processes spread over the interval (lib/fleet.ts), and with `spreadOverS` this
 * source holds back each camera's first answer by a random 0-6 s (under the camera
 * timeout), so the cameras of one host process do not grab in step either (the poller
 * schedules its next grab after the answer).
 */
const MAX_HOLD_MS = 6000; // under the camera timeoutMs default of 10 s
export const SOURCE_WIDTH = 480;
export const SOURCE_HEIGHT = 270;
const POOL = 12;

export interface SnapshotSourceStats {
  /** Pictures answered with 200. */
  served: number;
  /** Requests refused once the shutter closed (503). */
  refused: number;
}

/**
 * Renders one office-like picture: soft gradients (walls, floor), a few hard-edged
 * blocks (desks, doors) and sensor noise. The noise is what makes a real scene's
 * JPEG 10-25 KB; a flat picture would make thumbnails of 3-4 KB and understate the
 * bytes the central handles.
 */
async function render(seed: number): Promise<Buffer> {
  const rand = prng(seed);
  const w = SOURCE_WIDTH;
  const h = SOURCE_HEIGHT;
  const px = Buffer.alloc(w * h * 3);
  const base = [60 + rand() * 120, 60 + rand() * 120, 60 + rand() * 120];
  const blocks = Array.from({ length: 6 }, () => ({ x: rand() * w, y: rand() * h, w: 40 + rand() * 160, h: 30 + rand() * 120, c: [rand() * 255, rand() * 255, rand() * 255] }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let c = base.map((b, k) => b + (y / h) * 60 - (x / w) * 30 * k);
      for (const b of blocks) if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) c = b.c;
      const noise = (rand() - 0.5) * 14;
      const at = (y * w + x) * 3;
      for (let k = 0; k < 3; k++) px[at + k] = Math.max(0, Math.min(255, c[k]! + noise));
    }
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
}

export class SnapshotSource {
  private server: Server | undefined;
  private pool: Buffer[] = [];
  private readonly next = new Map<string, number>();
  private shutterClosed = false;
  /** Cameras whose first request has been seen (held or answered). */
  private readonly asked = new Set<string>();
  private held = 0;
  readonly stats: SnapshotSourceStats = { served: 0, refused: 0 };
  port = 0;

  constructor(private readonly spreadOverS = 0) {}

  /** Renders the pool and listens on 127.0.0.1 (a free port). */
  async start(): Promise<number> {
    this.pool = await Promise.all(Array.from({ length: POOL }, (_, i) => render(1000 + i)));
    const server = createServer((req, res) => {
      const path = req.url ?? '';
      if (!path.startsWith('/snap/') || !path.endsWith('.jpg')) {
        res.writeHead(404).end();
        return;
      }
      if (this.shutterClosed) {
        this.stats.refused++;
        res.writeHead(503, { 'Content-Type': 'text/plain' }).end('camera stopped by the benchmark\n');
        return;
      }
      const hold = this.asked.has(path) ? 0 : Math.random() * Math.min(this.spreadOverS * 1000, MAX_HOLD_MS);
      this.asked.add(path);
      const answer = () => {
        if (this.shutterClosed) {
          this.stats.refused++;
          res.writeHead(503, { 'Content-Type': 'text/plain' }).end('camera stopped by the benchmark\n');
          return;
        }
        // Each camera walks the pool from its own starting point: consecutive pictures differ.
        const n = this.next.get(path) ?? this.next.size;
        this.next.set(path, n + 1);
        const jpeg = this.pool[n % POOL]!;
        this.stats.served++;
        res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length, 'Cache-Control': 'no-store' });
        res.end(jpeg);
      };
      if (hold < 1) return answer();
      this.held++;
      setTimeout(() => {
        this.held--;
        answer();
      }, hold);
    });
    // Thousands of cameras polled by a few processes: keep-alive sockets would pile up.
    server.keepAliveTimeout = 1000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this.port;
  }

  /** The snapshot URL of one camera. */
  url(gateway: string, camera: string): string {
    return `http://127.0.0.1:${this.port}/snap/${gateway}/${camera}.jpg`;
  }

  /** Cameras that have been answered at least once. */
  get camerasSeen(): number {
    return this.next.size;
  }

  /** First answers still held back. */
  get holding(): number {
    return this.held;
  }

  /** Mean size of the pictures served (the thumbnail the gateway makes is smaller). */
  get meanSourceBytes(): number {
    return this.pool.length === 0 ? 0 : Math.round(this.pool.reduce((n, b) => n + b.length, 0) / this.pool.length);
  }

  /** A thumbnail as a gateway makes it from one of the pictures (480x270, quality 65). */
  sampleThumbnail(): Promise<Buffer> {
    return sharp(this.pool[0]).resize(480, 270, { fit: 'inside' }).jpeg({ quality: 65 }).toBuffer();
  }

  /** From now on every request is refused: what was served is all that can arrive. */
  closeShutter(): void {
    this.shutterClosed = true;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
