/**
 * docs/configuration.md, generated from OPTIONS (src/config.ts) by `ossd docs`, so the
 * table and the code cannot drift apart (test/unit/configuration-doc.test.ts checks the
 * file is current).
 */
import { OPTIONS } from '../config.js';

export function renderConfigurationDoc(): string {
  const rows = Object.entries(OPTIONS).map(([name, o]) => {
    const flag = o.type === 'boolean' ? `--${name}` : `--${name} VALUE`;
    const fileKey = name === 'config' ? '(not in a file)' : `\`${name}\``;
    return `| \`${flag}\` | \`${o.env}\` | ${fileKey} | ${o.help.replace(/\|/g, '\\|')} |`;
  });
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config.ts by `node bin/ossd.cjs docs`; edit OPTIONS there, not this file. -->',
    '',
    'Every setting of `ossd serve` has a flag, an environment variable and a key in the optional',
    'config file. A flag wins over the environment, and the environment wins over the file.',
    '',
    '- **Config file:** `--config FILE` or `OSSD_CONFIG`. TOML (`.toml`), JSON (`.json`) or YAML',
    '  (`.yaml`, `.yml`), chosen by the extension. Keys are the flag names without `--`; values are',
    '  strings, numbers or booleans (a list of strings is joined with commas). An unknown key is an error.',
    '- **Booleans** from the environment or a file: `1`, `true`, `yes` or `0`, `false`, `no`.',
    '- **An invalid setting** stops the start with one line naming the setting and what it accepts,',
    '  and exit code 2. So do a taken port, a refused permission, a read-only, missing or special',
    '  (`/proc`, `/sys`…) data folder, and a root secret shorter than 16 characters.',
    '',
    '```toml',
    '# ossd.toml',
    'address = "0.0.0.0:9000"',
    'data-dir = "/var/lib/ossd"',
    'region = "cn-hangzhou"',
    'max-connections = 20000',
    '```',
    '',
    '| flag | environment | file key | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
