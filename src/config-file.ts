/**
 * The optional configuration file (`--config FILE` / OSSD_CONFIG): TOML, JSON or YAML,
 * chosen by the file's extension, parsed by the field's libraries (smol-toml, JSON, yaml).
 * Its keys are the flag names without `--` (`address = "0.0.0.0:9000"`,
 * `data-dir = "/var/lib/ossd"`); values are strings, numbers or booleans. A key the
 * server does not know is an error naming it, so a typo never passes silently.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';

/**
 * The parsers are loaded only for a file that needs them (synchronously, through their
 * CommonJS builds): loaded at every start, they stayed in every server's heap (BENCH.md,
 * "The embedded default before and after the scale-out work": the idle heap).
 */
const load = createRequire(import.meta.url);
const parseToml = (text: string): unknown => (load('smol-toml') as typeof import('smol-toml')).parse(text);
const parseYaml = (text: string): unknown => (load('yaml') as typeof import('yaml')).parse(text);

export class ConfigFileError extends Error {}

export type FileSettings = Record<string, string | boolean>;

function parseText(file: string, text: string): unknown {
  const ext = extname(file).toLowerCase();
  if (ext === '.toml') return parseToml(text);
  if (ext === '.json') return JSON.parse(text);
  if (ext === '.yaml' || ext === '.yml') return parseYaml(text);
  throw new ConfigFileError(`config: ${file}: the file name must end in .toml, .json, .yaml or .yml`);
}

/** Reads and checks the file against `known` (flag names); the values as flags would give them. */
export function readConfigFile(file: string, known: ReadonlySet<string>): FileSettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigFileError(`config: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseText(file, text);
  } catch (e) {
    if (e instanceof ConfigFileError) throw e;
    throw new ConfigFileError(`config: ${file} is not valid: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigFileError(`config: ${file} must hold a table of settings`);
  const out: FileSettings = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!known.has(key) || key === 'config') {
      throw new ConfigFileError(`config: ${file}: unknown setting ${JSON.stringify(key)} (the settings are listed in docs/configuration.md)`);
    }
    if (typeof value === 'string' || typeof value === 'boolean') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'bigint') out[key] = String(value);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out[key] = value.join(',');
    else throw new ConfigFileError(`config: ${file}: ${key} must be a string, a number or a boolean`);
  }
  return out;
}
