// HTTPS for those without a reverse proxy: --tls-cert and --tls-key, read and checked at start so
// that a wrong file stops the backend with a message naming the option, not at the first request.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './config.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

function readPem(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    throw new ConfigError(`${option} ${file}: cannot read it (${code ?? message}); check the path and that the backend's user may read it`);
  }
}

export function loadTls(files: { certFile: string; keyFile: string }): TlsFiles {
  const cert = readPem(files.certFile, '--tls-cert');
  const key = readPem(files.keyFile, '--tls-key');
  // OpenSSL's reason is terse ("no start line", "key values mismatch"); say which file to look at.
  try {
    createSecureContext({ cert });
  } catch (err) {
    throw new ConfigError(`--tls-cert ${files.certFile} is not a usable PEM certificate (${(err as Error).message})`);
  }
  try {
    createSecureContext({ key });
  } catch (err) {
    throw new ConfigError(`--tls-key ${files.keyFile} is not a usable PEM private key, or it is encrypted (${(err as Error).message})`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new ConfigError(`--tls-key ${files.keyFile} does not belong to the certificate in --tls-cert ${files.certFile} (${(err as Error).message})`);
  }
  return { cert, key };
}
