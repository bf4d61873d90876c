// The instant every test file starts at (see setup.ts): noon UTC on a day in the future, so
// the clock only ever moves forward of the system clock.
export const TEST_CLOCK_START = Date.UTC(2031, 5, 15, 12, 0, 0);
