// @flowfarm/client — typed SDK for a flowfarm render farm. Runs on Node 20+ and in browsers:
// it uses only fetch, ReadableStream and TextDecoder.
export { FlowfarmClient, isFinished } from './flowfarm-client.js';
export type { FlowfarmClientOptions, ListOptions, SubmitOptions, UsageOptions, WaitOptions } from './flowfarm-client.js';
export { FlowfarmAdmin } from './flowfarm-admin.js';
export type { FlowfarmAdminOptions } from './flowfarm-admin.js';
export { ABORTED_CODE, FlowfarmError, TIMEOUT_CODE, UNREACHABLE_CODE } from './errors.js';
export { STREAM_UNSUPPORTED_CODE, isTerminalEvent } from './job-event-stream.js';
export type { JobEvent, JobEventsOptions } from './job-event-stream.js';
export type { FetchLike } from './http-transport.js';
export type { RetryOptions } from './retry-policy.js';
export { parseSseStream, type SseMessage } from './sse-parser.js';
export * from './contract-types.js';
export { verifyWebhook } from './verify-webhook.js';
export { DatasetClient, type DatasetWaitOptions } from './dataset-client.js';
