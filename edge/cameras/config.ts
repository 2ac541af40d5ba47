import { z } from 'zod';
import { terminalId } from '../terminals/common-config.js';

/** One camera: ONVIF (preferred), or a plain snapshot URL, or only an RTSP URL. */
export const CameraConfig = z
  .strictObject({
    id: terminalId.describe('camera id, unique in this gateway; a tag in InfluxDB and part of the snapshot topic'),
    name: z.string().max(100).optional().describe('what the wall shows, e.g. "Lobi depan"'),
    onvif: z
      .strictObject({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(80),
        path: z.string().startsWith('/').default('/onvif/device_service'),
      })
      .optional()
      .describe('ONVIF device service: the snapshot and stream URIs are asked from the camera'),
    snapshotUrl: z.url({ protocol: /^https?$/ }).optional().describe('a JPEG snapshot URL, when there is no ONVIF'),
    rtspUrl: z.string().regex(/^rtsps?:\/\/\S+$/, 'rtsp://host:port/path').optional().describe('fallback: one frame is grabbed from this stream with ffmpeg'),
    username: z.string().max(64).optional(),
    password: z.string().max(128).optional(),
    intervalS: z.number().min(1).max(3600).default(30).describe('seconds between snapshots (jittered by up to 10 %)'),
    timeoutMs: z.number().int().min(500).max(120_000).default(10_000),
    thumbnail: z
      .strictObject({
        width: z.number().int().min(32).max(3840).default(480),
        height: z.number().int().min(32).max(2160).default(270),
        quality: z.number().int().min(20).max(95).default(65),
      })
      .prefault({}),
    motion: z
      .strictObject({
        enabled: z.boolean().default(false).describe('subscribe to the camera\'s ONVIF motion events (PullPoint): each start and end becomes a camera_motion record, and a start takes a thumbnail at once'),
        minIntervalS: z.number().min(1).max(3600).default(10).describe('at most one motion thumbnail per this many seconds'),
      })
      .prefault({})
      .describe('ONVIF motion events (needs onvif)'),
  })
  .superRefine((c, ctx) => {
    if (!c.onvif && !c.snapshotUrl && !c.rtspUrl) ctx.addIssue({ code: 'custom', path: [], message: 'needs onvif, snapshotUrl or rtspUrl' });
    if (c.motion.enabled && !c.onvif) ctx.addIssue({ code: 'custom', path: ['motion', 'enabled'], message: 'motion events need onvif' });
  });
export type CameraConfig = z.infer<typeof CameraConfig>;

export const SnapshotSettings = z
  .strictObject({
    bandwidthKbps: z.number().min(1).max(1_000_000).default(256).describe('office budget for wall thumbnails: intervals and quality stretch to stay inside it'),
    staleAfterSameFrames: z.number().int().min(2).max(100).default(3).describe('a camera whose picture does not change for this many grabs is "stale" (frozen)'),
  })
  .prefault({});
export type SnapshotSettings = z.infer<typeof SnapshotSettings>;
