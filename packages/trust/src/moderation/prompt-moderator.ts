import { collapseRepeats, foldText, promptWords, readLeet, skeleton, type PromptWords } from './normalize.js';
import type { ModerationPolicy } from '@flowfarm/contracts';

export interface PromptVerdict {
  blocked: boolean;
  /** For users: the category of the first rule that matched, never the matched text. */
  reason?: string;
  /** For the audit log and operators: which rule matched. */
  rule?: { kind: 'term' | 'pattern'; value: string; category: string; scope: 'global' | 'tenant' };
}

interface CompiledTerm {
  source: string;
  category: string;
  allowedFrom: number;
  scope: 'global' | 'tenant';
  /** skeleton of the term (words joined by one space) */
  words: string;
  collapsed: string;
  prefix: boolean;
  suffix: boolean;
}

interface CompiledPattern {
  source: string;
  category: string;
  allowedFrom: number;
  scope: 'global' | 'tenant';
  regex: RegExp;
}

/** Plural endings a whole-word term also covers ("nudes"). */
const ENDINGS = ['s', 'es'];

function compileTerms(policy: ModerationPolicy, scope: 'global' | 'tenant'): CompiledTerm[] {
  return policy.terms.map((rule) => {
    const prefix = rule.term.endsWith('*');
    const suffix = rule.term.startsWith('*');
    const bare = rule.term.replace(/^\*|\*$/g, '');
    const words = (foldText(bare).match(/[\p{L}\p{N}!|@$+€£]+/gu) ?? []).map(skeleton).join(' ');
    return { source: rule.term, category: rule.category, allowedFrom: rule.allowed_from, scope, words, collapsed: collapseRepeats(words), prefix, suffix };
  });
}

function termMatches(term: CompiledTerm, prompt: PromptWords): boolean {
  if (!term.words) return false;
  if (term.words.includes(' ')) {
    // Phrases: the word sequence, or the phrase written as one word ("deep fake" / "deepfake").
    return prompt.sequence.includes(` ${term.words} `) || prompt.words.has(term.words.replaceAll(' ', ''));
  }
  // Looked up, not compared word by word: every submit checks every term of the lists.
  if (prompt.words.has(term.words) || ENDINGS.some((end) => prompt.words.has(term.words + end))) return true;
  // Stretched letters ("nuuude"); never shorter than the term, so "as" is not "ass".
  if ((prompt.longestByCollapsed.get(term.collapsed) ?? 0) > term.words.length) return true;
  if (!term.prefix && !term.suffix) return false;
  for (const word of prompt.words) {
    if (term.prefix && word.startsWith(term.words)) return true;
    if (term.suffix && word.endsWith(term.words)) return true;
  }
  return false;
}

/**
 * Checks prompts against the global policy plus one tenant's. Compiling folds every term once;
 * build one per policy version and reuse it.
 */
export class PromptModerator {
  private readonly terms: CompiledTerm[];
  private readonly patterns: CompiledPattern[];

  constructor(global: ModerationPolicy, tenant?: ModerationPolicy) {
    this.terms = [...compileTerms(global, 'global'), ...(tenant ? compileTerms(tenant, 'tenant') : [])];
    const compilePatterns = (policy: ModerationPolicy, scope: 'global' | 'tenant'): CompiledPattern[] =>
      policy.patterns.map((rule) => ({ source: rule.pattern, category: rule.category, allowedFrom: rule.allowed_from, scope, regex: new RegExp(rule.pattern, 'iu') }));
    this.patterns = [...compilePatterns(global, 'global'), ...(tenant ? compilePatterns(tenant, 'tenant') : [])];
  }

  /** `tolerance` 0 (strictest) … 6: rules with allowed_from ≤ tolerance let the prompt through. */
  check(prompt: string, tolerance: number): PromptVerdict {
    const words = promptWords(prompt);
    for (const term of this.terms) {
      if (tolerance >= term.allowedFrom) continue;
      if (termMatches(term, words)) {
        return { blocked: true, reason: `prompt matches the ${term.scope === 'global' ? "farm's" : "tenant's"} "${term.category}" list`, rule: { kind: 'term', value: term.source, category: term.category, scope: term.scope } };
      }
    }
    // Patterns see the folded text and the same text with leetspeak read as letters.
    const texts = [words.folded, readLeet(words.folded)];
    for (const pattern of this.patterns) {
      if (tolerance >= pattern.allowedFrom) continue;
      if (texts.some((text) => pattern.regex.test(text))) {
        return { blocked: true, reason: `prompt matches the ${pattern.scope === 'global' ? "farm's" : "tenant's"} "${pattern.category}" patterns`, rule: { kind: 'pattern', value: pattern.source, category: pattern.category, scope: pattern.scope } };
      }
    }
    return { blocked: false };
  }
}
