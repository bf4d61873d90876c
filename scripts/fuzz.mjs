// `npm run fuzz -- [--runs N] [--seed S] [--verbose] [--path P] [vitest filters and flags]`
// Runs only the property-based fuzz suites (test/fuzz/*.fuzz.test.ts) inside workerd with the
// given number of cases (across both suites) and seed, then lists every failure with the seed
// and path that replay it. FUZZ_RUNS, FUZZ_SEED, FUZZ_VERBOSE and FUZZ_PATH are the defaults
// of the flags. Without this script (plain `npm test`), the suites run CI's fixed settings
// from test/fuzz/settings.ts: environment variables do not reach the workerd isolate, so the
// settings travel through vitest's provide/inject.
import { parseArgs } from "node:util";
import { startVitest } from "vitest/node";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  strict: false,
  options: {
    runs: { type: "string", default: process.env.FUZZ_RUNS },
    seed: { type: "string", default: process.env.FUZZ_SEED },
    path: { type: "string", default: process.env.FUZZ_PATH },
    verbose: { type: "boolean", default: Boolean(process.env.FUZZ_VERBOSE) },
    testNamePattern: { type: "string", short: "t" },
  },
});

function integer(name, text) {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    console.error(`--${name} must be an integer, not ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
}

const runs = integer("runs", values.runs);
if (runs !== undefined && runs < 1) {
  console.error("--runs must be at least 1");
  process.exit(2);
}
// With no seed given, pick one and say so, so the run can be repeated.
const seed = integer("seed", values.seed) ?? Math.floor(Math.random() * 2 ** 31);
const fuzz = {
  seed,
  ...(runs !== undefined ? { runs } : {}),
  ...(values.verbose ? { verbose: 1 } : {}),
  ...(values.path ? { path: values.path } : {}),
};
console.log(
  `fuzz: seed ${seed}, ${runs ?? "default"} runs${values.path ? `, replaying path ${values.path}` : ""}`,
);

const filters = positionals.length > 0 ? positionals : ["test/fuzz/"];
const vitest = await startVitest("test", filters, {
  run: true,
  watch: false,
  provide: { fuzz },
  ...(values.testNamePattern ? { testNamePattern: values.testNamePattern } : {}),
});
if (!vitest) process.exit(1);

// fast-check puts `seed: …, path: "…"` into each failure; list them with a replay command
// (vitest's -t is a regular expression over the suite and test names joined by " > ").
const failures = [];
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\"]/g, "\\$&");
const visit = (task, names, file) => {
  const name = [...names, task.name];
  for (const child of task.tasks ?? []) visit(child, name, file);
  for (const error of task.result?.errors ?? []) {
    const found = /seed: (-?\d+), path: "([^"]*)"/.exec(error.message ?? "");
    if (found) failures.push({ file, name, seed: found[1], path: found[2] });
  }
};
for (const file of vitest.state.getFiles()) {
  for (const task of file.tasks) visit(task, [], file.name);
}
if (failures.length > 0) {
  console.log(`\nfuzz: ${failures.length} failing properties (seed ${seed}); replay one with`);
  for (const { file, name, seed: failedSeed, path } of failures) {
    console.log(`  ${name.join(" > ")}`);
    console.log(
      `    npm run fuzz -- --seed ${failedSeed} --path "${path}" ${file} -t "${escapeRegExp(name.join(" > "))}"`,
    );
  }
}
await vitest.close();
process.exit(vitest.state.getCountOfFailedTests() > 0 || failures.length > 0 ? 1 : 0);
