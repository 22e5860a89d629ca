// Where the shipped default rule pack lives, resolved from this module (works from src/ and from dist/).
import { fileURLToPath } from 'node:url';

/** Absolute path of assets/rules/quantum.rules.yml. */
export function defaultRulePackPath(): string {
  return fileURLToPath(new URL('../../assets/rules/quantum.rules.yml', import.meta.url));
}

/** The Alertmanager configuration qobs uses when none is given: one receiver without integrations. */
export const DEFAULT_ROUTER_CONFIG = `route:
  receiver: default
  group_by: [alertname, provider, device]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: default
`;
