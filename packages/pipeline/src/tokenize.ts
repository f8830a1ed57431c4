import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from './errors.js';

/**
 * A tokenizer.json (Hugging Face format) turned into fixed-length id rows: encode with the
 * special tokens, truncate keeping the trailing special tokens (the end token), pad with
 * the pad id.
 */
export class PromptTokenizer {
  readonly padId: number;
  private readonly specialIds: Set<number>;

  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly length: number,
    json: { padding?: { pad_id?: number } | null },
  ) {
    this.specialIds = new Set(
      [...tokenizer.get_added_tokens_decoder().entries()].filter(([, t]) => t.special).map(([id]) => id),
    );
    // CLIP's tokenizer.json has no pad token; FLUX pads CLIP ids with <|endoftext|>
    this.padId =
      json.padding?.pad_id ?? tokenizer.token_to_id('[PAD]') ?? tokenizer.token_to_id('<pad>') ??
      tokenizer.token_to_id('<|endoftext|>') ?? 0;
  }

  static fromFile(file: string, length: number): PromptTokenizer {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ModelLoadError(`${file}: cannot read tokenizer (${(err as Error).message})`);
    }
    // WordLevel models in @huggingface/tokenizers 0.2 return undefined for unknown words;
    // refuse them at load instead of feeding garbage ids later.
    const model = json.model as { type?: string } | undefined;
    if (model?.type === 'WordLevel') {
      throw new ModelLoadError(`${file}: WordLevel tokenizers are not supported (unknown words map to no id); use WordPiece`);
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, {});
    } catch (err) {
      throw new ModelLoadError(`${file}: cannot build tokenizer (${(err as Error).message})`);
    }
    return new PromptTokenizer(tokenizer, length, json as { padding?: { pad_id?: number } });
  }

  /** Token ids of one prompt, exactly `length` long. */
  encode(prompt: string): Int32Array {
    const ids = this.tokenizer.encode(prompt).ids;
    const out = new Int32Array(this.length).fill(this.padId);
    if (ids.length <= this.length) {
      out.set(ids);
      return out;
    }
    let tail = 0; // trailing special tokens ([SEP], </s>) survive truncation
    while (tail < ids.length - 1 && this.specialIds.has(ids[ids.length - 1 - tail])) tail++;
    tail = Math.min(tail, this.length);
    const head = this.length - tail;
    out.set(ids.slice(0, head));
    out.set(ids.slice(ids.length - tail), head);
    return out;
  }

  /** Ids of several prompts as one [B, length] row-major array. */
  encodeBatch(prompts: readonly string[]): Int32Array {
    const out = new Int32Array(prompts.length * this.length);
    prompts.forEach((p, b) => out.set(this.encode(p), b * this.length));
    return out;
  }

  tokens(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (id) => this.tokenizer.id_to_token(id) ?? `<${id}>`);
  }
}
