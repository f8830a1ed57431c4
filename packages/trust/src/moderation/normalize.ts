// Turns a prompt into the words a term list is matched against, undoing the usual evasions:
// case, Unicode compatibility forms (fullwidth, math alphanumerics, circled letters) via NFKC,
// look-alike letters from other scripts, diacritics, invisible characters, letters spaced or
// dotted apart ("n u d e", "n.u.d.e"), leetspeak ("nud3", "p0rn") and stretched letters.
// Words are compared whole, so innocent words that merely contain a term ("Scunthorpe",
// "therapist") do not match; a policy opts into prefix/suffix matching per term with `*`.

/** Characters that render as nothing (or as a soft break) and split words invisibly: [from, to] code points. */
const INVISIBLE_RANGES: Array<[number, number]> = [
  [0xad, 0xad], [0x34f, 0x34f], [0x61c, 0x61c], [0x115f, 0x1160], [0x17b4, 0x17b5], [0x180b, 0x180f], [0x200b, 0x200f],
  [0x202a, 0x202e], [0x2060, 0x206f], [0x3164, 0x3164], [0xfe00, 0xfe0f], [0xfeff, 0xfeff], [0xffa0, 0xffa0],
];
const isInvisible = (ch: string) => {
  const cp = ch.codePointAt(0)!;
  return INVISIBLE_RANGES.some(([from, to]) => cp >= from && cp <= to);
};

/**
 * Letters of other scripts that look like Latin ones (a subset of Unicode's confusables.txt
 * covering Cyrillic, Greek, Armenian and IPA look-alikes that NFKC leaves alone).
 */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  а: 'a', в: 'b', с: 'c', ԁ: 'd', е: 'e', ё: 'e', һ: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k', ӏ: 'l', м: 'm', н: 'h', о: 'o', р: 'p',
  ԛ: 'q', г: 'r', ѕ: 's', т: 't', ц: 'u', ѵ: 'v', ԝ: 'w', х: 'x', у: 'y', з: '3', ь: 'b', п: 'n', л: 'n', д: 'a', и: 'u', ш: 'w',
  // Greek
  α: 'a', β: 'b', ϲ: 'c', ε: 'e', η: 'n', ι: 'i', κ: 'k', μ: 'u', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', γ: 'y', ω: 'w', ζ: 'z', σ: 'o', ς: 's',
  // Armenian and Latin extensions / IPA
  օ: 'o', ս: 'u', հ: 'h', ո: 'n', ց: 'g', ɑ: 'a', ɡ: 'g', ɩ: 'i', ı: 'i', ȷ: 'j', ʀ: 'r', ʏ: 'y', ᴅ: 'd', ᴇ: 'e', ᴋ: 'k', ᴍ: 'm', ᴏ: 'o', ᴘ: 'p', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ᴢ: 'z', ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ł: 'l', ħ: 'h',
};

/** Digits and symbols read as letters. Ambiguous ones (1 → i or l) fold onto one letter on both sides. */
const LEET: Record<string, string> = {
  '0': 'o', '1': 'i', '!': 'i', '|': 'i', l: 'i', '3': 'e', '4': 'a', '@': 'a', '5': 's', $: 's', '7': 't', '+': 't', '8': 'b', '9': 'g', '6': 'g', '2': 'z', '€': 'e', '£': 'l',
};
/** Symbols that leetspeak uses inside words; everything else that is not a letter or digit separates. */
const LEET_SYMBOLS = '!|@$+€£';
const WORD_CHARS = new RegExp(`[\\p{L}\\p{N}${LEET_SYMBOLS.replace(/[|$+]/g, '\\$&')}]+`, 'gu');

const ASCII = /^\p{ASCII}*$/u;

/** NFKC, lower case, no invisible characters, look-alikes and diacritics folded to plain Latin. */
export function foldText(raw: string): string {
  // ASCII is its own NFKC and NFKD, has no marks, invisible characters or look-alikes: only case
  // to fold (most prompts; the per-character pass costs ~10 KB of garbage per submit)
  if (ASCII.test(raw)) return raw.toLowerCase();
  const text = Array.from(raw.normalize('NFKC').toLowerCase(), (ch) => (isInvisible(ch) ? '' : (CONFUSABLES[ch] ?? ch))).join('');
  return text.normalize('NFKD').replace(/\p{M}+/gu, '');
}

/** A word as a term list sees it: leet symbols read as letters, i/l/1 folded together. */
export function skeleton(word: string): string {
  let out = '';
  for (const ch of word) out += LEET[ch] ?? ch;
  return out;
}

/** Leetspeak read as letters but l kept as l, so text stays readable for regular expressions. */
export function readLeet(text: string): string {
  let out = '';
  for (const ch of text) out += ch === 'l' ? ch : ch === '|' ? 'l' : (LEET[ch] ?? ch);
  return out;
}

/** Runs of one repeated letter shortened to one ("nuuude" → "nude"). */
export const collapseRepeats = (word: string): string => word.replace(/(.)\1+/gu, '$1');

export interface PromptWords {
  /** Every candidate word (skeleton form): plain words, compacted chunks, joined spelled-out letters. */
  words: Set<string>;
  /** The words in order, joined by single spaces and padded (for multi-word terms). */
  sequence: string;
  /** The folded text (for patterns). */
  folded: string;
  /** Each word's form with repeated letters collapsed → the length of its longest word (stretched letters). */
  longestByCollapsed: Map<string, number>;
}

/** Splits a prompt into candidate words, in skeleton form. */
export function promptWords(raw: string): PromptWords {
  const folded = foldText(raw);
  const words = new Set<string>();
  const ordered: string[] = [];
  let letterRun: string[] = [];
  const flushRun = () => {
    // Letters spelled apart ("a n u d e"): every stretch of two or more of them, so a
    // neighbouring article or initial does not hide the word.
    const run = letterRun.slice(0, 40);
    for (let start = 0; start < run.length - 1; start++) {
      for (let end = start + 2; end <= run.length; end++) words.add(skeleton(run.slice(start, end).join('')));
    }
    letterRun = [];
  };
  for (const rawChunk of folded.split(/\s+/u)) {
    // Leet symbols at a chunk's edge are usually punctuation ("nude!"): read them both ways.
    const chunk = rawChunk.replace(/^[!|+]+|[!|+]+$/gu, '');
    for (const form of new Set([rawChunk, chunk])) {
      const parts = form.match(WORD_CHARS) ?? [];
      // "nu.de", "n-u-d-e", "n*de" spelled inside one chunk: also the chunk without separators.
      if (parts.length > 1) words.add(skeleton(parts.join('')));
      for (const part of parts) words.add(skeleton(part));
    }
    for (const part of chunk.match(WORD_CHARS) ?? []) {
      const trimmed = part.replace(/^[!|+]+|[!|+]+$/gu, '');
      if (!trimmed) continue;
      words.add(skeleton(trimmed));
      ordered.push(skeleton(trimmed));
      if ([...trimmed].length === 1) letterRun.push(trimmed);
      else flushRun();
    }
  }
  flushRun();
  const longestByCollapsed = new Map<string, number>();
  for (const word of words) {
    const collapsed = collapseRepeats(word);
    if ((longestByCollapsed.get(collapsed) ?? 0) < word.length) longestByCollapsed.set(collapsed, word.length);
  }
  return { words, sequence: ` ${ordered.join(' ')} `, folded, longestByCollapsed };
}
