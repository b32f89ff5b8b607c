/** One benchmark figure, printed on a line of its own: name, value, unit. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export function printFigure(figure: Figure): void {
  const value = figure.value >= 100 ? Math.round(figure.value).toString() : figure.value.toFixed(2);
  process.stdout.write(`${figure.name}\t${value}\t${figure.unit}${figure.note ? `\t(${figure.note})` : ''}\n`);
}

/** Median of repeated measurements; single runs on a shared 2-core machine are noisy. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The database a benchmark runs on: PostgreSQL when BENCH_DATABASE_URL is set, else embedded. */
export function benchEngine(): { label: string; env: Record<string, string> } {
  const url = process.env.BENCH_DATABASE_URL;
  return url ? { label: 'postgres', env: { DATABASE_URL: url } } : { label: 'embedded', env: {} };
}
