// What Cipher Club publishes. Everything here ships with the page, premium parts included: this
// example shows the client side of selling (buy, check, use), not how to keep content secret.
// A creation with a backend serves the archive and the hints only against an access token it
// has verified (GET /v1/entitlements/verify); see README.md.

/** This week's cipher (No. 42, free for everyone: its text is in index.html). */
export const CIPHER = {
  /** Accepted answers, compared in capitals with everything but letters and spaces removed. */
  answers: ["THE OLD LIGHTHOUSE", "OLD LIGHTHOUSE", "THE LIGHTHOUSE", "LIGHTHOUSE"],
  solved: "The note reads: MEET ME AT THE OLD LIGHTHOUSE WHEN THE TIDE TURNS. BRING THE BRASS KEY.",
};

/** The hint ladder for this week's cipher, gentlest first: each use of the hint pack reveals
 * the next one. */
export const HINTS = [
  "Every letter has been swapped for the letter a fixed number of places further along the alphabet.",
  "One three-letter word appears three times. It is the most common word in English.",
  "AOL is THE: T moved seven places along the alphabet is A (counting on past Z back to A).",
  "Move every letter seven places back: H becomes A, L becomes E, A becomes T.",
  "The message begins “MEET ME AT THE …”.",
  "The meeting place is something ships steer by at night.",
  "It stands by the sea, and it is not new.",
  "The answer is “the old lighthouse”.",
];

/** Past ciphers. Their titles are free; the worked solutions are what the day pass opens. */
export const ARCHIVE = [
  {
    number: 41,
    title: "The mirror",
    ciphertext: "GSV HKZIV PVB RH FMWVI GSV GSRIW HGVK",
    solution: "THE SPARE KEY IS UNDER THE THIRD STEP",
    method:
      "Atbash: the alphabet read backwards, so A↔Z, B↔Y, C↔X. GSV (three letters, twice) is THE.",
  },
  {
    number: 40,
    title: "Half way round",
    ciphertext: "GUR YNAGREA EBBZ VF YBPXRQ SEBZ GUR VAFVQR",
    solution: "THE LANTERN ROOM IS LOCKED FROM THE INSIDE",
    method:
      "ROT13: every letter moved thirteen places, half the alphabet, so doing it twice gives the message back.",
  },
  {
    number: 39,
    title: "Four tides",
    ciphertext: "LQJRTT WABKH EM ULHGQJLM",
    solution: "SIGNAL TWICE AT MIDNIGHT",
    method:
      "Vigenère with the key TIDE: the shifts 19, 8, 3, 4 repeat along the message. " +
      "Spotting the repeat length (4) is most of the work; the story's “four tides” gave it away.",
  },
];
