// The code table's own rules: code format by category, unique names, HTTP statuses only on
// gateway codes, one line of meaning and fix, and one dead-letter code per reason.
import { CATEGORIES, DEAD_LETTER_REASONS, deadLetterCode, ERRORS, type ErrorCode } from '../src';

const CODES = Object.keys(ERRORS) as ErrorCode[];

describe('the error code table', () => {
  it.each(CODES)('%s has the digit of its category', (code) => {
    expect(code).toMatch(/^SYNC_E\d{3}$/);
    expect(Number(code[6])).toBe(CATEGORIES[ERRORS[code].category].digit);
  });

  it('gives every code its own name', () => {
    const titles = CODES.map((c) => ERRORS[c].title);
    expect(titles.filter((t, i) => titles.indexOf(t) !== i)).toEqual([]);
    for (const title of titles) expect(title).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it.each(CODES)('%s says what happened and what to do in one line each', (code) => {
    const { meaning, fix } = ERRORS[code];
    for (const text of [meaning, fix]) {
      expect(text).toMatch(/^\S.*\.$/);
      expect(text).not.toContain('\n');
    }
  });

  it('puts HTTP statuses on gateway codes only, each an error status', () => {
    for (const code of CODES) {
      const { category, httpStatus } = ERRORS[code];
      if (category !== 'gateway') expect([code, httpStatus]).toEqual([code, undefined]);
      else if (httpStatus !== undefined) expect(httpStatus >= 400 && httpStatus < 600).toBe(true);
    }
  });

  it('gives each dead-letter reason its own dead-letter code, named like the reason', () => {
    const deadLetterCodes = CODES.filter((c) => ERRORS[c].category === 'dead-letter');
    expect(DEAD_LETTER_REASONS.map(deadLetterCode).sort()).toEqual(deadLetterCodes.sort());
    for (const reason of DEAD_LETTER_REASONS) expect(ERRORS[deadLetterCode(reason)].title).toBe(reason);
  });
});
