/** Reading a Prometheus text scrape (`/-/metrics`) in tests and benches. */

/** Samples of a Prometheus text scrape: `name{labels}` → value (labels as printed). */
export function parseScrape(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

/** The value of the one sample whose name is `name` and whose labels include each of `labels` (0 when none). */
export function value(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let found = 0;
  for (const [k, v] of samples) {
    const brace = k.indexOf('{');
    const n = brace < 0 ? k : k.slice(0, brace);
    if (n === name && wanted.every((w) => k.includes(w))) found += v;
  }
  return found;
}
