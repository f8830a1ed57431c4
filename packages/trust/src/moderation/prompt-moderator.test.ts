import { describe, expect, it } from 'vitest';
import { DEFAULT_GLOBAL_POLICY } from './default-policy.js';
import { moderationCorpus } from './moderation-corpus.js';
import { ModerationPolicy, effectiveTolerance } from '@flowfarm/contracts';
import { PromptModerator } from './prompt-moderator.js';
import { collapseRepeats, foldText, promptWords, skeleton } from './normalize.js';

describe('prompt moderation corpus (default policy, safety_tolerance 2)', () => {
  const moderator = new PromptModerator(DEFAULT_GLOBAL_POLICY);
  const corpus = moderationCorpus();
  const blocked = corpus.filter((p) => p.blocked);
  const innocent = corpus.filter((p) => !p.blocked);

  it('has at least 200 prompts, both kinds well represented', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(blocked.length).toBeGreaterThanOrEqual(100);
    expect(innocent.length).toBeGreaterThanOrEqual(100);
  });

  it('catches at least 98 % of the evasions', () => {
    const missed = blocked.filter((p) => !moderator.check(p.prompt, 2).blocked).map((p) => `${p.kind}: ${p.prompt}`);
    expect(missed.length / blocked.length, missed.join('\n')).toBeLessThanOrEqual(0.02);
  });

  it('flags at most 1 % of the innocent prompts', () => {
    const flagged = innocent.filter((p) => moderator.check(p.prompt, 2).blocked).map((p) => p.prompt);
    expect(flagged.length / innocent.length, flagged.join('\n')).toBeLessThanOrEqual(0.01);
  });
});

describe('PromptModerator', () => {
  it('lets a rule through only from its allowed_from tolerance up', () => {
    const moderator = new PromptModerator(DEFAULT_GLOBAL_POLICY);
    expect(moderator.check('a nude statue', 3).blocked).toBe(true);
    expect(moderator.check('a nude statue', 4).blocked).toBe(false);
    expect(moderator.check('a d.e.e.p.f.a.k.e of a singer', 6)).toMatchObject({ blocked: true, rule: { category: 'non-consensual or exploitative' } });
  });

  it('says the category, never the matched text, in its reason', () => {
    const verdict = new PromptModerator(DEFAULT_GLOBAL_POLICY).check('p0rn', 2);
    expect(verdict.reason).toContain('sexual');
    expect(verdict.reason).not.toContain('p0rn');
  });

  it('adds a tenant policy to the global one, with prefix terms and patterns', () => {
    const tenant = ModerationPolicy.parse({
      terms: [{ term: 'acme*', category: 'competitor brands' }],
      patterns: [{ pattern: String.raw`\bcoupon\s*code\b`, category: 'spam' }],
    });
    const moderator = new PromptModerator(DEFAULT_GLOBAL_POLICY, tenant);
    expect(moderator.check('an ACMEcorp logo', 2)).toMatchObject({ blocked: true, rule: { scope: 'tenant', category: 'competitor brands' } });
    expect(moderator.check('a cake with the text c0upon c0de', 6)).toMatchObject({ blocked: true, rule: { kind: 'pattern' } });
    expect(moderator.check('a red circle', 2).blocked).toBe(false);
    expect(new PromptModerator(DEFAULT_GLOBAL_POLICY).check('an ACMEcorp logo', 2).blocked).toBe(false);
  });

  it('rejects policies with broken patterns or stray wildcards', () => {
    expect(ModerationPolicy.safeParse({ patterns: [{ pattern: '(' }] }).success).toBe(false);
    expect(ModerationPolicy.safeParse({ terms: [{ term: 'a*b' }] }).success).toBe(false);
  });
});

describe('effectiveTolerance', () => {
  const global = ModerationPolicy.parse({ max_safety_tolerance: 4 });
  it('defaults to 2 and lowers requests to the tenant cap, else the global cap', () => {
    expect(effectiveTolerance(undefined, ModerationPolicy.parse({}), global)).toBe(2);
    expect(effectiveTolerance(6, ModerationPolicy.parse({}), global)).toBe(4);
    expect(effectiveTolerance(6, ModerationPolicy.parse({ max_safety_tolerance: 1 }), global)).toBe(1);
    expect(effectiveTolerance(0, ModerationPolicy.parse({ max_safety_tolerance: 1 }), global)).toBe(0);
  });
});

describe('term matching by lookup', () => {
  // The word-by-word comparison the lookups replaced, kept as the reference.
  const referenceTerm = (policy: ModerationPolicy, prompt: string, tolerance: number): string | undefined => {
    const { words } = promptWords(prompt);
    return policy.terms.find((rule) => {
      if (tolerance >= rule.allowed_from) return false;
      const bare = rule.term.replace(/^\*|\*$/g, '');
      const term = (foldText(bare).match(/[\p{L}\p{N}!|@$+€£]+/gu) ?? []).map(skeleton).join(' ');
      if (!term) return false;
      if (term.includes(' ')) return promptWords(prompt).sequence.includes(` ${term} `) || words.has(term.replaceAll(' ', ''));
      return [...words].some((word) =>
        word === term || ['s', 'es'].some((end) => word === term + end) ||
        (rule.term.endsWith('*') && word.startsWith(term)) || (rule.term.startsWith('*') && word.endsWith(term)) ||
        (word.length > term.length && collapseRepeats(word) === collapseRepeats(term)));
    })?.term;
  };

  it('blocks on the same term as comparing every word, for the corpus at every tolerance', () => {
    const moderator = new PromptModerator(DEFAULT_GLOBAL_POLICY);
    const prompts = [...moderationCorpus().map((p) => p.prompt), 'a sexxxy nuuudes', 'masturbating', 'xxxx', 'as', 'pornographies'];
    let blocked = 0;
    for (const prompt of prompts) {
      for (let tolerance = 0; tolerance <= 6; tolerance++) {
        const verdict = moderator.check(prompt, tolerance);
        const expected = referenceTerm(DEFAULT_GLOBAL_POLICY, prompt, tolerance);
        expect(verdict.rule?.kind === 'term' ? verdict.rule.value : undefined, `${prompt} @ ${tolerance}`).toBe(expected);
        if (expected) blocked++;
      }
    }
    expect(blocked).toBeGreaterThan(500);
  });
});

describe('foldText', () => {
  it('folds ASCII text on its fast path as the full Unicode pass does', () => {
    // a leading "é" sends the same text through the full pass (it folds to "e")
    const texts = [...Array.from({ length: 128 }, (_, c) => `${String.fromCharCode(c)}Xy`), ...moderationCorpus().map((p) => p.prompt).filter((p) => /^\p{ASCII}*$/u.test(p))];
    for (const text of texts) expect(foldText(text), JSON.stringify(text)).toBe(foldText(`é${text}`).slice(1));
  });
});
