import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import sharp from 'sharp';
import { decodeSnapshot, encodeSnapshot, SnapshotFrameError } from '../../protocols/snapshot/frame.js';
import { onlyErrorsOf } from '../helpers/codec.js';
import { SnapshotBudget } from '../../edge/cameras/budget.js';

const header = { camera: 'lobby', capturedAt: '2026-11-26T00:15:00.000Z', kind: 'thumb' as const, width: 480, height: 270, source: 'snapshot-uri' as const };

describe('snapshot message', () => {
  it('round-trips a real JPEG with a verified header, no base64', async () => {
    const jpeg = await sharp({ create: { width: 480, height: 270, channels: 3, background: '#204060' } }).jpeg({ quality: 65 }).toBuffer();
    const message = encodeSnapshot(header, jpeg);
    expect(message.subarray(0, 4).toString()).toBe('PSNP');
    expect(message.length).toBeLessThan(jpeg.length + 400); // the header is small
    const decoded = decodeSnapshot(message);
    expect(decoded.header).toMatchObject({ ...header, bytes: jpeg.length });
    expect(decoded.jpeg.equals(jpeg)).toBe(true);
  });

  it('names what is wrong', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).jpeg().toBuffer();
    const message = encodeSnapshot(header, jpeg);
    const flipped = Buffer.from(message);
    flipped[flipped.length - 3]! ^= 0xff;
    expect(() => decodeSnapshot(flipped)).toThrow(/sha256 does not match/);
    expect(() => decodeSnapshot(message.subarray(0, message.length - 1))).toThrow(/header says/);
    expect(() => decodeSnapshot(Buffer.from('NOPE'))).toThrow(/shorter than/);
    expect(() => decodeSnapshot(Buffer.concat([Buffer.from('XXXX'), message.subarray(4)]))).toThrow(/magic/);
  });

  it('never throws anything but its own error on random or truncated input', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).jpeg().toBuffer();
    const message = encodeSnapshot(header, jpeg);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.nat(message.length).map((n) => message.subarray(0, n)), fc.tuple(fc.nat(message.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => { const b = Buffer.from(message); b[i]! ^= x; return b; })), (bytes) => {
        onlyErrorsOf(SnapshotFrameError, () => decodeSnapshot(bytes));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('snapshot bandwidth budget', () => {
  it('stretches intervals and lowers quality to stay inside the office budget', () => {
    const budget = new SnapshotBudget(256);
    for (let i = 0; i < 8; i++) budget.report(`cam-${i}`, 20_000, 30); // 8 cameras x 20 KB / 30 s = 42.7 kbit/s
    expect(budget.stretch()).toBe(1);
    expect(budget.quality(65)).toBe(65);
    for (let i = 0; i < 8; i++) budget.report(`cam-${i}`, 20_000, 2); // every 2 s: 640 kbit/s
    expect(budget.stretch()).toBeCloseTo(2.5, 5);
    expect(budget.quality(65)).toBe(50);
  });
});

describe('camera error texts', () => {
  it('never carry the camera password', async () => {
    const { redact } = await import('../../edge/cameras/grab.js');
    const text = 'RTSP grab failed: rtsp://admin:S3cret%21@10.0.0.5:554/stream: 401; password S3cret! rejected';
    const out = redact(text, { username: 'admin', password: 'S3cret!' });
    expect(out).not.toMatch(/S3cret/);
    expect(out).toContain('rtsp://***:***@10.0.0.5:554/stream');
  });
});
