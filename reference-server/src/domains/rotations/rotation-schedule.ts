/** When a rotation is next due: `rotationInterval` days after `from`, at `rotateAtUtc` (upstream's rule). */
import type { RotateAtUtc } from '../../store/records.js';

const DAY_SECONDS = 86_400;

/**
 * The next due time after a rotation at `fromMs`. With a shortened test day (`dayLengthSeconds`,
 * docs/rotation.md) the interval is counted in those and `rotateAtUtc` is ignored.
 */
export function nextRotationAt(
  fromMs: number,
  intervalDays: number,
  rotateAtUtc: RotateAtUtc,
  dayLengthSeconds = DAY_SECONDS,
): string {
  if (dayLengthSeconds !== DAY_SECONDS)
    return new Date(fromMs + intervalDays * dayLengthSeconds * 1000).toISOString();
  const next = new Date(fromMs + intervalDays * DAY_SECONDS * 1000);
  next.setUTCHours(rotateAtUtc.hours, rotateAtUtc.minutes, 0, 0);
  return next.toISOString();
}
