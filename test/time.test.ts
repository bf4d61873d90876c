// UTC calendar arithmetic at the edges: month ends, leap years, and years before 100 (which
// Date.UTC would read as 1900-1999).

import { describe, expect, it } from "vitest";
import { monthsAfter, sameDayMonthsAfter, utcDate } from "../src/shared/time.ts";

const at = (text: string) => Date.parse(text);

describe("sameDayMonthsAfter", () => {
  it("keeps the day and the time of day, or ends on the target month's last day", () => {
    expect(new Date(sameDayMonthsAfter(at("2031-01-31T09:15:00Z"), 1)).toISOString()).toBe(
      "2031-02-28T09:15:00.000Z",
    );
    expect(new Date(sameDayMonthsAfter(at("2032-01-31T09:15:00Z"), 1)).toISOString()).toBe(
      "2032-02-29T09:15:00.000Z",
    );
    expect(new Date(sameDayMonthsAfter(at("2031-03-15T00:00:00Z"), 12)).toISOString()).toBe(
      "2032-03-15T00:00:00.000Z",
    );
    expect(new Date(sameDayMonthsAfter(at("2031-12-31T23:59:59Z"), 1)).toISOString()).toBe(
      "2032-01-31T23:59:59.000Z",
    );
  });

  it("counts years before 100 as themselves", () => {
    const early = new Date(0);
    early.setUTCFullYear(42, 0, 31);
    expect(utcDate(sameDayMonthsAfter(early.getTime(), 1))).toBe("0042-02-28");
    expect(utcDate(monthsAfter(early.getTime(), 1))).toBe("0042-02-01");
  });
});
