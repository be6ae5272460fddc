// The npm benchmarks' workload: 100k keys with Zipf(1) popularity, as from URLs, and the same
// seeded request sequence for every subject.
import { BentoCache, bentostore } from "bentocache";
import { memoryDriver } from "bentocache/drivers/memory";

export const N = 100_000;

/** `ops` ranks drawn from Zipf(s = 1) over N, by a cumulative table and binary search. */
export function zipfSequence(ops) {
  const cdf = new Float64Array(N);
  let total = 0;
  for (let i = 0; i < N; i++) cdf[i] = total += 1 / (i + 1);
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Uint32Array.from({ length: ops }, () => {
    const x = random() * total;
    let lo = 0, hi = N - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  });
}

/** The key of a rank, built fresh per request as from a URL. */
export const key = (rank) => `/articles/${rank}?v=1`;

/** bentocache with its memory driver only, holding `capacity` items. */
export const bentocache = (capacity) =>
  new BentoCache({ default: "memory", stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: capacity, maxSize: 1024 * 1024 * 1024 })) } });
