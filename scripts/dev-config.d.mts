// Types for dev-config.mjs (plain Node so `npm start` runs before anything is compiled).

export interface DevSecrets {
  secret_key: string;
  webhook_secret: string;
  appid: string;
  mchid: string;
  merchant_serial: string;
  merchant_private_key: string;
  apiv3_key: string;
  public_key_id: string;
  sandbox_public_key: string;
  sandbox_private_key: string;
}

export interface DevConfigOptions {
  port: number;
  host?: string;
  timeScale?: number;
  notifyDelaySeconds?: number;
}

/** The SHOUYIN_CONFIG document (see worker/src/config.ts), as plain JSON. */
export type DevConfig = {
  public_base_url: string;
  merchants: Array<Record<string, unknown> & {
    id: string;
    secret_keys: string[];
    allowed_origins: string[];
    webhook?: { url: string; secret: string };
  }>;
  sandbox: Record<string, unknown>;
};

export function generateSecrets(): DevSecrets;
export function buildConfig(secrets: DevSecrets, options: DevConfigOptions): DevConfig;
export function devVarsText(config: DevConfig, demo: { secretKey: string; webhookSecret: string }): string;
export function parseDevVars(text: string): Record<string, string>;
export function retargetConfig(config: DevConfig, port: number): DevConfig;
export function ensureDevVars(
  path: string,
  options: Partial<DevConfigOptions> & { port: number },
): { status: 'created' | 'updated' | 'unchanged'; config: DevConfig; secretKey: string; webhookSecret: string };
