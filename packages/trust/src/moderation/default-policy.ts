import type { ModerationPolicy } from '@flowfarm/contracts';

/**
 * The global policy a farm starts with (until an operator replaces it with
 * `PUT /v1/admin/moderation/policy`). Deliberately short: it covers what providers of FLUX
 * APIs refuse outright (sexual content involving minors, non-consensual imagery) and gates
 * nudity, sexual and graphic-violence words behind higher `safety_tolerance` values. A real
 * deployment adds its own lists; see docs/trust-and-safety.md.
 */
export const DEFAULT_GLOBAL_POLICY: ModerationPolicy = {
  max_safety_tolerance: 6,
  terms: [
    ...['deepfake', 'deep fake', 'nudify', 'nudified', 'undress', 'undressing', 'revenge porn', 'non consensual', 'nonconsensual', 'child porn', 'csam', 'pedophile*', 'paedophile*'].map((term) => ({
      term,
      category: 'non-consensual or exploitative',
      allowed_from: 7,
    })),
    ...['porn', 'porno', 'pornography', 'pornographic', 'pornstar', 'nsfw', 'sex', 'sexual', 'sexy', 'xxx', 'hentai', 'erotic', 'orgasm', 'blowjob', 'fetish', 'bdsm', 'onlyfans', 'masturbat*'].map((term) => ({
      term,
      category: 'sexual',
      allowed_from: 5,
    })),
    ...['nude', 'naked', 'nudity', 'topless', 'genitals', 'penis', 'vagina'].map((term) => ({ term, category: 'nudity', allowed_from: 4 })),
    ...['gore', 'gory', 'beheading', 'beheaded', 'decapitated', 'decapitation', 'dismembered', 'mutilated', 'disembowel*', 'bloodbath'].map((term) => ({
      term,
      category: 'graphic violence',
      allowed_from: 4,
    })),
  ],
  patterns: [
    {
      // Minors named together with sexual or nudity words, in either order.
      pattern: String.raw`\b(child|children|kid|kids|minor|minors|underage|preteen|toddler|schoolgirl|schoolboy|little (girl|boy))\b.*\b(nude|naked|sex|sexual|sexy|porn(o|ography|ographic)?|nsfw|erotic|topless|lingerie)\b|\b(nude|naked|sex|sexual|sexy|porn(o|ography|ographic)?|nsfw|erotic|topless|lingerie)\b.*\b(child|children|kid|kids|minor|minors|underage|preteen|toddler|schoolgirl|schoolboy|little (girl|boy))\b`,
      category: 'sexual content involving minors',
      allowed_from: 7,
    },
  ],
};
