// unixepoch() and datetime(): SQLite's date/time functions for the value forms rules meet
// (ISO-8601 text with optional zone, numbers as Julian days or with the 'unixepoch' modifier).
import { castAsText, type SqliteValue } from '@syncline/sqlite-value';

const ISO_TIME =
  /^(-?\d{4,})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const JULIAN_UNIX_EPOCH = 2440587.5;

/** Milliseconds since the Unix epoch (fractional allowed), or undefined when not a time value. */
export function parseTimeValue(value: SqliteValue, modifiers: readonly string[]): number | undefined {
  if (value === null) return undefined;
  const unixModifier = modifiers.includes('unixepoch');
  if (typeof value === 'bigint' || typeof value === 'number') {
    const n = Number(value);
    return unixModifier ? n * 1000 : (n - JULIAN_UNIX_EPOCH) * 86400000;
  }
  const text = (castAsText(value) ?? '').trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return parseTimeValue(Number(text), modifiers);
  const m = ISO_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (frac) ms += Number(frac) * 1000;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    ms -= sign * offsetMinutes * 60000;
  }
  return Number.isNaN(ms) ? undefined : ms;
}

function isSubsecond(modifiers: readonly string[]): boolean {
  return modifiers.includes('subsec') || modifiers.includes('subsecond');
}

function readModifiers(args: readonly SqliteValue[]): string[] | undefined {
  const modifiers: string[] = [];
  for (const arg of args) {
    const text = castAsText(arg)?.trim().toLowerCase();
    if (text === undefined) return undefined;
    if (text !== 'unixepoch' && text !== 'subsec' && text !== 'subsecond' && text !== 'utc') return undefined;
    modifiers.push(text);
  }
  return modifiers;
}

/** unixepoch(time, modifiers...): seconds since 1970 as INTEGER, or REAL with 'subsec'. */
export function unixepoch(args: readonly SqliteValue[]): SqliteValue {
  const modifiers = readModifiers(args.slice(1));
  if (!modifiers) return null;
  const ms = args.length === 0 ? undefined : parseTimeValue(args[0] ?? null, modifiers);
  if (ms === undefined) return null;
  if (isSubsecond(modifiers)) return Math.round(ms) / 1000;
  return BigInt(Math.floor(ms / 1000));
}

/** datetime(time, modifiers...): `YYYY-MM-DD HH:MM:SS` (with `.SSS` for 'subsec'). */
export function datetime(args: readonly SqliteValue[]): SqliteValue {
  const modifiers = readModifiers(args.slice(1));
  if (!modifiers) return null;
  const ms = args.length === 0 ? undefined : parseTimeValue(args[0] ?? null, modifiers);
  if (ms === undefined) return null;
  const iso = new Date(Math.round(ms)).toISOString(); // 2024-01-01T10:00:00.123Z
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return isSubsecond(modifiers) ? `${base}${iso.slice(19, 23)}` : base;
}
