/**
 * "Did you mean …?" for option and command names: the family's CLIs and option checks use it to point at
 * the name a typo was meant to be.
 *
 * @module
 */

/** Edits between two names: insertions, deletions, substitutions, and swaps of neighbours (`dve` → `dev` is one). */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, before[j - 2]! + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate closest to `input`, or `undefined` when none is close enough to be what was meant.
 * Close means at most two edits apart (case-insensitive, and fewer than half of `input`'s letters), or
 * one being a prefix of the other with at least three letters in common (`enviroment` → `env`).
 *
 * ```ts
 * closestName('enviroment', ['environment', 'secretPath']); // 'environment'
 * ```
 */
export function closestName(input: string, candidates: Iterable<string>): string | undefined {
  const wanted = input.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const name = candidate.toLowerCase();
    if (name === wanted) return candidate;
    const distance = editDistance(wanted, name);
    const close = distance <= 2 && distance * 2 < wanted.length;
    const prefix =
      Math.min(name.length, wanted.length) >= 3 && (name.startsWith(wanted) || wanted.startsWith(name));
    const score = close ? distance : prefix ? 3 : Number.POSITIVE_INFINITY;
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
