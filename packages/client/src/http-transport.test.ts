import { describe, expect, it } from 'vitest';
import { HttpTransport } from './http-transport.js';

describe('HttpTransport', () => {
  it('sends the API key to the farm but not to result URLs on other hosts (S3, CDN)', async () => {
    const seen: Array<{ url: string; auth: string | undefined }> = [];
    const recording = async (url: string, init?: RequestInit) => {
      seen.push({ url, auth: (init?.headers as Record<string, string>).authorization });
      return new Response('{}', { status: 200 });
    };
    const transport = new HttpTransport({ baseUrl: 'http://farm.example:8080/', apiKey: 'secret', fetch: recording });
    await transport.json('/v1/models');
    await transport.send('http://farm.example:8080/files/a.png?sig=1');
    await transport.send('https://bucket.s3.example.com/a.png?X-Amz-Signature=1');
    expect(seen).toEqual([
      { url: 'http://farm.example:8080/v1/models', auth: 'Bearer secret' },
      { url: 'http://farm.example:8080/files/a.png?sig=1', auth: 'Bearer secret' },
      { url: 'https://bucket.s3.example.com/a.png?X-Amz-Signature=1', auth: undefined },
    ]);
  });
});
