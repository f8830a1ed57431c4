import { describe, expect, it } from 'vitest';
import { clusterSafePrefix } from '@flowfarm/contracts';
import { parseRedisClusterUrl } from './redis-connection.js';

describe('Redis Cluster settings', () => {
  it('reads seed nodes, credentials and TLS from a redis+cluster:// URL', () => {
    expect(parseRedisClusterUrl('redis+cluster://10.0.0.1:7001,10.0.0.2:7002')).toEqual({
      nodes: [{ host: '10.0.0.1', port: 7001 }, { host: '10.0.0.2', port: 7002 }],
      username: undefined,
      password: undefined,
      tls: false,
    });
    expect(parseRedisClusterUrl('rediss+cluster://farm:p%40ss@cfg.example.com:6379/')).toEqual({
      nodes: [{ host: 'cfg.example.com', port: 6379 }],
      username: 'farm',
      password: 'p@ss',
      tls: true,
    });
    expect(parseRedisClusterUrl('redis+cluster://:secret@node')).toMatchObject({ nodes: [{ host: 'node', port: 6379 }], username: undefined, password: 'secret' });
  });

  it('refuses a cluster URL it cannot read, naming it', () => {
    expect(() => parseRedisClusterUrl('redis+cluster://')).toThrow(/invalid Redis Cluster URL/);
    expect(() => parseRedisClusterUrl('redis+cluster://a:70000')).toThrow(/invalid Redis Cluster node "a:70000"/);
  });

  it('puts every key of a farm on a cluster under one hash tag, and leaves one server alone', () => {
    expect(clusterSafePrefix('redis+cluster://a:1', 'flowfarm')).toBe('{flowfarm}');
    expect(clusterSafePrefix('rediss+cluster://a:1', '{farm-eu}:prod')).toBe('{farm-eu}:prod');
    expect(clusterSafePrefix('redis://127.0.0.1:6379', 'flowfarm')).toBe('flowfarm');
  });
});
