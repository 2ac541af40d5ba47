/// <reference lib="dom" />
/**
 * The alert tone, made with WebAudio (no sound file: nothing may come from the
 * network, and a generated tone cannot go missing). Browsers keep audio silent until
 * the user has clicked or typed on the page: the login click, the sound toggle or any
 * other click unlocks it (`unlockSound`). Whether sound is wanted is remembered in
 * localStorage; it is on unless someone switched it off.
 */

const STORAGE_KEY = 'pemda.sound';

let wanted = true;
let context: AudioContext | undefined;
let played = 0;
let panicPlayed = 0;
const listeners = new Set<() => void>();

function notify(): void {
  for (const l of listeners) l();
}

export function onSoundChange(listener: () => void): void {
  listeners.add(listener);
}

export function loadSoundPreference(storage: Pick<Storage, 'getItem'> | undefined): void {
  try {
    wanted = storage?.getItem(STORAGE_KEY) !== 'off';
  } catch {
    wanted = true;
  }
}

export function soundWanted(): boolean {
  return wanted;
}

/** Wanted and the browser lets it play. */
export function soundReady(): boolean {
  return wanted && context?.state === 'running';
}

/** How many tones were started since the page loaded (the tests read it from the toggle). */
export function tonesPlayed(): number {
  return played;
}

/** How many panic sirens were started (the toggle's data-panic-tones, for the tests). */
export function panicTonesPlayed(): number {
  return panicPlayed;
}

/** Call from a click or key handler only: that is when browsers allow audio to start. */
export function unlockSound(): void {
  if (!wanted) return;
  try {
    context ??= new AudioContext();
  } catch {
    return; // no audio device or WebAudio switched off: the banner still shows alerts
  }
  if (context.state !== 'running') {
    context.resume().then(notify, () => undefined);
  } else notify();
}

export function setSoundWanted(on: boolean, storage: Pick<Storage, 'setItem'> | undefined): void {
  wanted = on;
  try {
    storage?.setItem(STORAGE_KEY, on ? 'on' : 'off');
  } catch {
    // Not remembered across reloads, nothing worse.
  }
  if (on) unlockSound();
  notify();
}

/**
 * A short tone: critical alerts three alternating high-low beeps, warnings one lower
 * beep, so the night shift can tell them apart without looking. Soft attack and
 * release keep it from clicking.
 */
export function playAlertTone(severity: 'critical' | 'warning'): boolean {
  if (!soundReady() || !context) return false;
  const ctx = context;
  const beeps = severity === 'critical' ? [880, 660, 880] : [587];
  const beepS = 0.22;
  const gapS = 0.08;
  const start = ctx.currentTime + 0.02;
  beeps.forEach((hz, i) => {
    const at = start + i * (beepS + gapS);
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
    gain.gain.setValueAtTime(0.3, at + beepS - 0.06);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + beepS);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + beepS + 0.02);
  });
  played++;
  notify();
  return true;
}

/** Length of one panic siren; banners.ts repeats it with a pause until the panic is acknowledged. */
export const PANIC_TONE_S = 2;

/**
 * The panic siren: a two-tone hi-lo (1050/800 Hz, a quarter second each) for two
 * seconds, square wave and louder than the alert beeps. It must not be mistaken for a
 * device alert, and it must be heard across a room with people talking.
 */
export function playPanicTone(): boolean {
  if (!soundReady() || !context) return false;
  const ctx = context;
  const stepS = 0.25;
  const start = ctx.currentTime + 0.02;
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = 'square';
  const steps = Math.round(PANIC_TONE_S / stepS);
  for (let i = 0; i < steps; i++) osc.frequency.setValueAtTime(i % 2 === 0 ? 1050 : 800, start + i * stepS);
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.45, start + 0.03);
  gain.gain.setValueAtTime(0.45, start + PANIC_TONE_S - 0.08);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + PANIC_TONE_S);
  osc.connect(gain).connect(ctx.destination);
  osc.start(start);
  osc.stop(start + PANIC_TONE_S + 0.02);
  played++;
  panicPlayed++;
  notify();
  return true;
}
