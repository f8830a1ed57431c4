import type { Redis } from 'ioredis';

/** One audited submit: who asked for what, from where, and what moderation decided. */
export interface AuditEntry {
  /** stream entry id (time-ordered; pass as `before` to page back) */
  id: string;
  at: string;
  tenant: string;
  /** id of the API key used (never the key) */
  key_id: string;
  /** client address as the API saw it (behind a proxy: per TRUST_PROXY) */
  client: string;
  job_id: string;
  model: string;
  outcome: 'allowed' | 'moderated';
  /** set when moderated */
  stage?: 'prompt' | 'output';
  reason?: string;
  safety_tolerance?: number;
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at'>;

/**
 * The audit log: a Redis stream (`<prefix>:audit`) trimmed by age on every write (XADD MINID),
 * so entries older than the retention disappear without a sweeper. Every API replica writes
 * to the same stream; operators read it newest first through the admin API.
 */
export class AuditLog {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** How long entries are kept; 0 turns the log off. */
    private readonly retentionMs: number,
  ) {
    this.key = `${prefix}:audit`;
  }

  get enabled(): boolean {
    return this.retentionMs > 0;
  }

  async record(entry: AuditInput): Promise<void> {
    const write = this.entryFor(entry);
    if (write) await this.redis.xadd(write.stream, 'MINID', '~', write.minId, '*', ...write.fields);
  }

  /**
   * The stream write of an entry (null when the log is off), for a caller that appends it in its
   * own script (the job submit, so the entry is written with the job it records).
   */
  entryFor(entry: AuditInput): { stream: string; minId: string; fields: string[] } | null {
    if (!this.enabled) return null;
    const now = Date.now();
    const fields = Object.entries({ ...entry, at: new Date(now).toISOString() })
      .filter(([, v]) => v !== undefined)
      .flatMap(([k, v]) => [k, String(v)]);
    return { stream: this.key, minId: String(now - this.retentionMs), fields };
  }

  /** Entries newest first, optionally one tenant's, before a given entry id. */
  async list(options: { tenant?: string; limit?: number; before?: string } = {}): Promise<AuditEntry[]> {
    const limit = options.limit ?? 50;
    const out: AuditEntry[] = [];
    let end = options.before ? `(${options.before}` : '+';
    const minId = `${Date.now() - this.retentionMs}-0`;
    // Filtering by tenant reads ahead in pages until enough entries match.
    while (out.length < limit) {
      const page = await this.redis.xrevrange(this.key, end, minId, 'COUNT', Math.max(limit * 2, 100));
      if (page.length === 0) break;
      for (const [id, flat] of page) {
        const fields: Record<string, string> = {};
        for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
        if (options.tenant && fields.tenant !== options.tenant) continue;
        out.push({
          id,
          at: fields.at,
          tenant: fields.tenant,
          key_id: fields.key_id,
          client: fields.client,
          job_id: fields.job_id,
          model: fields.model,
          outcome: fields.outcome as AuditEntry['outcome'],
          ...(fields.stage ? { stage: fields.stage as AuditEntry['stage'] } : {}),
          ...(fields.reason ? { reason: fields.reason } : {}),
          ...(fields.safety_tolerance ? { safety_tolerance: Number(fields.safety_tolerance) } : {}),
        });
        if (out.length === limit) break;
      }
      end = `(${page[page.length - 1][0]}`;
    }
    return out;
  }
}
