// The operator-facing SDK (admin key): queues, workers, jobs across tenants, API keys.

import type {
  AdminJobList,
  AdminJobState,
  AdminJobSummary,
  ApiKeyCreate,
  ApiKeyInfo,
  AuditList,
  GlobalModerationPolicy,
  ModerationCheckRequest,
  ModerationCheckResult,
  ModerationPolicy,
  QueueStats,
  QueueStatsList,
  TenantModerationPolicy,
  TenantPolicy,
  TenantPolicyList,
  TenantPolicyUpdate,
  UsageReport,
  WorkerHeartbeat,
} from './contract-types.js';
import { HttpTransport, type TransportOptions } from './http-transport.js';
import { usageQuery, type UsageOptions } from './flowfarm-client.js';

export interface FlowfarmAdminOptions extends Omit<TransportOptions, 'apiKey'> {
  /** The farm's ADMIN_API_KEY. */
  adminKey: string;
}

type Signal = { signal?: AbortSignal };

export class FlowfarmAdmin {
  private readonly http: HttpTransport;

  constructor(options: FlowfarmAdminOptions) {
    const { adminKey, ...rest } = options;
    this.http = new HttpTransport({ ...rest, apiKey: adminKey });
  }

  /** Depth, oldest wait and live workers per model queue. */
  async queues(options: Signal = {}): Promise<QueueStats[]> {
    return (await this.http.json<QueueStatsList>('/v1/admin/queues', options)).data;
  }

  /** Live workers (by heartbeat), their models and what they run now. */
  async workers(options: Signal = {}): Promise<WorkerHeartbeat[]> {
    return (await this.http.json<{ data: WorkerHeartbeat[] }>('/v1/admin/workers', options)).data;
  }

  /** Jobs of every tenant in one state, newest first (`failed` = recent failures). */
  async jobs(state: AdminJobState, options: Signal & { limit?: number } = {}): Promise<AdminJobSummary[]> {
    const query = new URLSearchParams({ state });
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    return (await this.http.json<AdminJobList>(`/v1/admin/jobs?${query}`, options)).data;
  }

  /** Puts a failed job back in its queue. */
  retry(id: string, options: Signal = {}): Promise<AdminJobSummary> {
    return this.http.json<AdminJobSummary>(`/v1/admin/jobs/${encodeURIComponent(id)}/retry`, { method: 'POST', signal: options.signal });
  }

  /** Cancels any tenant's queued or running job. */
  cancel(id: string, options: Signal = {}): Promise<AdminJobSummary> {
    return this.http.json<AdminJobSummary>(`/v1/admin/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST', signal: options.signal });
  }

  /** Every tenant's metered usage, one row per tenant and day (or model); `tenant` narrows it to one. */
  usage(options: UsageOptions & { tenant?: string } = {}): Promise<UsageReport> {
    return this.http.json<UsageReport>(`/v1/admin/usage${usageQuery(options)}`, { signal: options.signal });
  }

  /** The same rows as CSV (header line first). */
  async usageCsv(options: UsageOptions & { tenant?: string } = {}): Promise<string> {
    const response = await this.http.send(`/v1/admin/usage${usageQuery({ ...options, format: 'csv' })}`, { signal: options.signal, headers: { accept: 'text/csv' } });
    return response.text();
  }

  /** Tenants with a policy (weight, highest priority, quotas). */
  async tenants(options: Signal = {}): Promise<TenantPolicy[]> {
    return (await this.http.json<TenantPolicyList>('/v1/admin/tenants', options)).data;
  }

  /** One tenant's policy (the defaults when never set). */
  tenant(name: string, options: Signal = {}): Promise<TenantPolicy> {
    return this.http.json<TenantPolicy>(`/v1/admin/tenants/${encodeURIComponent(name)}`, options);
  }

  /** Sets a tenant's weight, highest priority or quotas; absent fields keep their value, a quota set to null is removed. */
  setTenant(name: string, update: TenantPolicyUpdate, options: Signal = {}): Promise<TenantPolicy> {
    return this.http.json<TenantPolicy>(`/v1/admin/tenants/${encodeURIComponent(name)}`, { method: 'PUT', body: update, signal: options.signal });
  }

  /** Creates an API key for a tenant; the secret is in `key`, shown only this once. */
  createKey(input: ApiKeyCreate, options: Signal = {}): Promise<ApiKeyInfo> {
    return this.http.json<ApiKeyInfo>('/v1/admin/keys', { method: 'POST', body: input, signal: options.signal });
  }

  async listKeys(options: Signal = {}): Promise<ApiKeyInfo[]> {
    return (await this.http.json<{ data: ApiKeyInfo[] }>('/v1/admin/keys', options)).data;
  }

  async revokeKey(id: string, options: Signal = {}): Promise<void> {
    await this.http.send(`/v1/admin/keys/${encodeURIComponent(id)}`, { method: 'DELETE', signal: options.signal });
  }

  /** The global moderation policy (`builtin: true` while the farm's default is in force) and the tenants with their own. */
  moderationPolicy(options: Signal = {}): Promise<GlobalModerationPolicy> {
    return this.http.json<GlobalModerationPolicy>('/v1/admin/moderation/policy', options);
  }

  /** Replaces the global moderation policy. */
  setModerationPolicy(policy: Partial<ModerationPolicy>, options: Signal = {}): Promise<GlobalModerationPolicy> {
    return this.http.json<GlobalModerationPolicy>('/v1/admin/moderation/policy', { method: 'PUT', body: policy, signal: options.signal });
  }

  /** Goes back to the farm's built-in global policy. */
  async resetModerationPolicy(options: Signal = {}): Promise<void> {
    await this.http.send('/v1/admin/moderation/policy', { method: 'DELETE', signal: options.signal });
  }

  /** A tenant's own policy (added to the global one); a 404 when it has none. */
  tenantModerationPolicy(tenant: string, options: Signal = {}): Promise<TenantModerationPolicy> {
    return this.http.json<TenantModerationPolicy>(`/v1/admin/moderation/tenants/${encodeURIComponent(tenant)}`, options);
  }

  setTenantModerationPolicy(tenant: string, policy: Partial<ModerationPolicy>, options: Signal = {}): Promise<TenantModerationPolicy> {
    return this.http.json<TenantModerationPolicy>(`/v1/admin/moderation/tenants/${encodeURIComponent(tenant)}`, { method: 'PUT', body: policy, signal: options.signal });
  }

  async deleteTenantModerationPolicy(tenant: string, options: Signal = {}): Promise<void> {
    await this.http.send(`/v1/admin/moderation/tenants/${encodeURIComponent(tenant)}`, { method: 'DELETE', signal: options.signal });
  }

  /** Dry run: would this prompt be moderated for this tenant, and by which rule? */
  checkPrompt(request: ModerationCheckRequest, options: Signal = {}): Promise<ModerationCheckResult> {
    return this.http.json<ModerationCheckResult>('/v1/admin/moderation/check', { method: 'POST', body: request, signal: options.signal });
  }

  /** The audit log, newest first; pass `next_before` back as `before` for older entries. */
  audit(options: Signal & { tenant?: string; limit?: number; before?: string } = {}): Promise<AuditList> {
    const query = new URLSearchParams();
    if (options.tenant) query.set('tenant', options.tenant);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.before) query.set('before', options.before);
    return this.http.json<AuditList>(`/v1/admin/audit${query.size ? `?${query}` : ''}`, { signal: options.signal });
  }
}
