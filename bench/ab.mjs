// Two builds of the npm package compared on `set` at capacity (200 B values unless SIZE), with
// bentocache as the yardstick, in one process: `A=dir B=dir node bench/ab.mjs`, each a
// directory holding an `edgecache.js` (e.g. pkg/nodejs, and a copy of it from before a change).
// The subjects' rounds interleave, A and B swapping which goes first each round; each round is
// judged by the CPU time it took. Printed: the best round (on a shared machine, other load only
// ever slows a round down) and the median round. Two copies of one build measured 0.96–1.04×
// by the best round alone, so a step of a few % is believed when both agree, over runs.
import { createRequire } from "node:module";
import { bentocache, key, N, zipfSequence } from "./workload.mjs";

const require = createRequire(import.meta.url);
const ROUNDS = Number(process.env.ROUNDS ?? 11);
const OPS = 100_000;
const sequence = zipfSequence(OPS);
const value = "x".repeat(Number(process.env.SIZE ?? 200));
const capacity = N / 2;

const edgecache = (dir) => {
  const { EdgeCache } = require(`${dir}/edgecache.js`);
  const cache = new EdgeCache({ maxBytes: capacity * (value.length + 400) });
  return async () => {
    for (let i = 0; i < OPS; i++) await cache.set(key(sequence[i]), value, { ttl: 60_000 });
  };
};
const bento = bentocache(capacity);
const runs = {
  A: edgecache(process.env.A),
  B: edgecache(process.env.B),
  bentocache: async () => {
    for (let i = 0; i < OPS; i++) await bento.set({ key: key(sequence[i]), value, ttl: "1m" });
  },
};
const rates = Object.fromEntries(Object.keys(runs).map((name) => [name, []]));
for (const run of Object.values(runs)) await run(); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? ["A", "B", "bentocache"] : ["B", "A", "bentocache"];
  for (const name of order) {
    const start = process.cpuUsage();
    await runs[name]();
    const { user, system } = process.cpuUsage(start);
    rates[name].push(OPS / ((user + system) / 1e6));
  }
}
const best = (name) => Math.max(...rates[name]);
const median = (name) => rates[name].toSorted((a, b) => a - b)[rates[name].length >> 1];
const ratio = (of, a, b) => `${(of(a) / of(b)).toFixed(3)}×`;
console.log(
  Object.keys(runs).map((name) => `${name} ${Math.round(best(name)).toLocaleString("en")}/s`).join(", "),
  `| best: A/B ${ratio(best, "A", "B")}, A/bentocache ${ratio(best, "A", "bentocache")}, B/bentocache ${ratio(best, "B", "bentocache")}`,
  `| median: A/B ${ratio(median, "A", "B")}`,
);
