// Settings of the test suite itself, parsed once from the environment (tests never read
// process.env directly). Each variable has a default that CI uses.
import { z } from 'zod';

const TestEnv = z.object({
  // Requests the HTTP fuzz test (test/fuzz) sends; CI runs the default, a deeper local run
  // sets e.g. FUZZ_REQUESTS=10000.
  FUZZ_REQUESTS: z.coerce.number().int().min(1).default(2000),
  // Seed of the fuzz test's generator: a failure report names it, and the same seed replays
  // the same requests.
  FUZZ_SEED: z.coerce.number().int().default(20261201),
});
export type TestConfig = z.infer<typeof TestEnv>;

export const testConfig: TestConfig = TestEnv.parse(process.env);
