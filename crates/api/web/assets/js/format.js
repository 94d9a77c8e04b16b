// Formatting sizes, dates and extensions, and converting between local date-time inputs and
// the API's UTC RFC 3339 timestamps.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB". */
export function bytes(n) {
  let value = Number(n) || 0;
  const sign = value < 0 ? '-' : '';
  value = Math.abs(value);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${sign}${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** Bytes per second → "2.4 MiB/s". */
export function speed(bytesPerSecond) {
  return `${bytes(bytesPerSecond)}/s`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** An RFC 3339 timestamp in the user's local time. */
export function dateTime(rfc3339) {
  const date = new Date(rfc3339);
  return Number.isNaN(date.getTime()) ? '' : dateFormat.format(date);
}

/** The extension the server's statistics use (SPEC 4.5): after the last dot, lowercased. */
export function extension(name) {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1 || name.slice(0, dot).replace(/^\.+/, '') === '') {
    return 'no_extension';
  }
  return name.slice(dot + 1).toLowerCase();
}

const pad = (n) => String(n).padStart(2, '0');

/** A UTC RFC 3339 timestamp → the value of an <input type="datetime-local"> in local time. */
export function toLocalInput(rfc3339) {
  if (!rfc3339) return '';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of an <input type="datetime-local"> (local time) → UTC RFC 3339, "" when empty. */
export function fromLocalInput(value) {
  if (!value) return '';
  const d = new Date(value); // a date-time without offset is local time
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}
