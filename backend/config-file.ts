// Reading a settings file people write: YAML for .yaml/.yml, JSON otherwise, with errors that name
// the file and what kind of file it is.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** The file's data, not yet checked; `what` names the file in errors ("rules file"). */
export function readYamlOrJson(path: string, what: string, fail: (message: string) => Error): unknown {
  const yaml = /\.ya?ml$/i.test(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fail(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw fail(`${what} ${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
}
