// Types `env` from 'cloudflare:test' / 'cloudflare:workers' as the test runner's bindings: the Worker's
// own, plus the sandbox Worker's, which the test entry (worker/test/entry.ts) runs beside it.
import type { Env as ShouyinEnv } from '../src/env';
import type { Env as SandboxEnv } from '../../sandbox/src/env';

declare global {
  namespace Cloudflare {
    interface Env extends ShouyinEnv, SandboxEnv {}
  }
}
