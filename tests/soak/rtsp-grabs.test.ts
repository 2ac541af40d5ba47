import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { RtspTestServer } from '../../sim/rtsp-server.js';
import { grabRtspFrame } from '../../edge/cameras/grab.js';

/**
 * RTSP grabs through ffmpeg, many times over: no ffmpeg may be left behind and the
 * gateway's memory must not grow. SOAK_GRABS sets the count (npm test: 20;
 * npm run test:soak: 1,000).
 */
const GRABS = Number(process.env.SOAK_GRABS ?? 20);
const RSS_GROWTH_BOUND_MB = 40;

function ffmpegChildren(): number {
  const out = execFileSync('ps', ['-o', 'pid=,ppid=,comm=', '-e'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => {
    const [, ppid, comm] = l.trim().split(/\s+/);
    return comm === 'ffmpeg' && Number(ppid) === process.pid;
  }).length;
}

describe(`${GRABS} RTSP grabs`, () => {
  let rtsp: RtspTestServer;
  beforeAll(async () => {
    rtsp = await RtspTestServer.start(0, '/soak', { width: 320, height: 240 });
  }, 60_000);
  afterAll(() => rtsp.stop());

  it('leave no ffmpeg behind and no memory growth', async () => {
    let ok = 0;
    let failed = 0;
    let baseline = 0;
    const started = Date.now();
    for (let i = 0; i < GRABS; i += 2) {
      // Two at a time, as two cameras of one office would.
      const results = await Promise.allSettled([grabRtspFrame(rtsp.url, {}, 5000), grabRtspFrame(rtsp.url, {}, 5000)]);
      for (const r of results) {
        if (r.status === 'fulfilled') ok++;
        else if (++failed <= 3) console.log(`grab failed: ${(r.reason as Error).message}`);
      }
      if (i === Math.floor(GRABS / 10) * 2 - 2 || (baseline === 0 && i >= 10)) {
        global.gc?.();
        baseline = process.memoryUsage().rss;
      }
    }
    // One grab that is killed by our timer: the stream exists, but we allow it no time.
    await grabRtspFrame(rtsp.url, {}, 1).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    global.gc?.();
    const growthMB = (process.memoryUsage().rss - baseline) / 1024 / 1024;
    console.log(`rtsp soak: ${ok} frames, ${failed} failed, ${Math.round((Date.now() - started) / GRABS)} ms/grab, RSS growth ${growthMB.toFixed(1)} MB (bound ${RSS_GROWTH_BOUND_MB} MB), ffmpeg left ${ffmpegChildren()}`);
    expect(ffmpegChildren()).toBe(0);
    expect(failed).toBeLessThanOrEqual(Math.ceil(GRABS * 0.01));
    expect(growthMB).toBeLessThan(RSS_GROWTH_BOUND_MB);
  }, 1_800_000);
});
