// Strings the parser returns are slices of the parsed text, and V8 keeps a slice of 13 or more
// characters as a view that holds its whole parent alive. Fine while a record is processed; a
// value kept for long (a row's id in the evaluator's row-state cache) would keep the record's
// entire text, about a kilobyte, for every cached row.

/** Below this length V8 copies a slice instead of keeping a view of its parent. */
const VIEW_MIN_LENGTH = 13;

/**
 * `text` with storage of its own: the same characters, holding no larger string alive. Joining
 * makes V8 flatten the pair into a new string, and the slice of it that comes back holds one
 * character more than `text`.
 */
export function ownString(text: string): string {
  return text.length < VIEW_MIN_LENGTH ? text : (' ' + text).slice(1);
}
