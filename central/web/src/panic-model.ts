/**
 * What the panic banner shows of a panic alert, without the DOM: which picture, how
 * old it is compared with the press, and who or what pressed. Tested in Node.
 */
import type { ApiAlert, ApiCamera, ApiPanic } from './api-types.js';
import type { MessageKey } from './i18n.js';

/** How many panics the banner shows in full; more are counted and linked. */
export const PANICS_SHOWN = 2;

export interface PanicFrame {
  camera: string;
  /** Changes only when a newer frame arrived, so the <img> reloads then and only then. */
  src: string;
  /** Capture time of the frame the wall knows of; null before /api/cameras lists one. */
  capturedAt: string | null;
  capturedMs: number | null;
  /** Taken at or after the press (the gateway grabs one right after it); null when unknown. */
  afterPress: boolean | null;
}

/**
 * The nearest camera's newest frame. The alert names the frame's address; /api/cameras
 * says when that camera's latest frame was taken, and that time goes in the address so
 * a newer frame (the full frame taken at the press, then the next thumbnails) replaces
 * the picture and an unchanged one is not fetched again.
 */
export function panicFrame(alert: ApiAlert, cameras: readonly ApiCamera[]): PanicFrame | null {
  const nearest = alert.panic?.cameras[0];
  if (!nearest) return null;
  const known = cameras.find((c) => c.gateway === alert.gateway && c.camera === nearest.id) ?? cameras.find((c) => c.url === nearest.frameUrl);
  const capturedMs = known ? Date.parse(known.capturedAt) : NaN;
  const pressedMs = Date.parse(alert.panic?.pressedAt ?? '');
  if (!known || !Number.isFinite(capturedMs)) {
    // Not listed yet (the first frame is on its way): ask anyway, keyed by the press.
    return { camera: nearest.id, src: `${nearest.frameUrl}?v=${encodeURIComponent(alert.panic?.pressedAt ?? alert.raisedAt)}`, capturedAt: null, capturedMs: null, afterPress: null };
  }
  return {
    camera: nearest.id,
    src: `${nearest.frameUrl}?v=${encodeURIComponent(known.capturedAt)}`,
    capturedAt: known.capturedAt,
    capturedMs,
    afterPress: Number.isFinite(pressedMs) ? capturedMs >= pressedMs : null,
  };
}

/** "Aplikasi HP (phone-app)", "Panel alarm alarm-panel", "Tombol panik front-desk". */
export function panicInput(panic: ApiPanic): { key: MessageKey; params: Record<string, string> } {
  const key: MessageKey = panic.via === 'http' ? 'panic.via.http' : panic.via === 'serial-line' ? 'panic.via.serial' : 'panic.via.button';
  return { key, params: { input: panic.input } };
}

/** Decimal points whatever the language, as phones and maps show coordinates. */
export function formatLocation(location: { lat: number; lon: number }): string {
  const d = (x: number) => String(Number(x.toFixed(5)));
  return `${d(location.lat)}, ${d(location.lon)}`;
}
