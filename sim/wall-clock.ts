/**
 * What a terminal's clock shows at an instant: wall-clock time in its zone with no
 * zone attached, `YYYY-MM-DDTHH:mm:ss`. Simulators use Intl directly (not the
 * gateway's Luxon code) so they do not share the conversion they are testing.
 * Throws RangeError for an unknown zone.
 */
export function wallClockFormatter(zone: string): (at: Date) => string {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return (at) => {
    const parts = format.formatToParts(at);
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
    return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}`;
  };
}
