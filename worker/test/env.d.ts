// Types `env` from 'cloudflare:test' / 'cloudflare:workers' as the Worker's own bindings.
import type { Env as ShouyinEnv } from '../src/env';

declare global {
  namespace Cloudflare {
    interface Env extends ShouyinEnv {}
  }
}
