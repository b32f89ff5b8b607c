import { createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type BackendKeyPair, generationParams, type KeyAlgorithmName, type KeyBackend } from './key-backend.js';

const ALIAS = /^[a-z0-9][a-z0-9._-]{0,99}$/;

export interface SoftwareBackendOptions {
  name: string;
  /** Folder holding one encrypted PKCS#8 PEM file per key. */
  directory: string;
  /** Encrypts every key at rest (PBES2: PBKDF2 + AES-256-CBC, readable by openssl). */
  passphrase: string;
}

/**
 * Software keys: encrypted PKCS#8 files, decrypted only into non-extractable WebCrypto keys
 * of Node's native provider. Chosen over @peculiar/webcrypto because Node's native ECDSA
 * P-256 signing is about 10x faster here (shared/reference/performance.md §2), and keys of
 * the two providers cannot be mixed.
 */
export function createSoftwareBackend(options: SoftwareBackendOptions): KeyBackend {
  const crypto = webcrypto as unknown as Crypto;
  const fileOf = (alias: string) => {
    if (!ALIAS.test(alias)) throw new Error(`'${alias}' is not a valid key alias`);
    return path.join(options.directory, `${alias}.key.pem`);
  };

  async function importPair(pem: string): Promise<BackendKeyPair> {
    const privateObject = createPrivateKey({ key: pem, format: 'pem', passphrase: options.passphrase });
    const algorithm = importParams(privateObject.asymmetricKeyType, privateObject.asymmetricKeyDetails);
    const pkcs8 = privateObject.export({ format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(privateObject).export({ format: 'der', type: 'spki' });
    const [privateKey, publicKey] = await Promise.all([
      crypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']),
      crypto.subtle.importKey('spki', spki, algorithm, true, ['verify']),
    ]);
    pkcs8.fill(0);
    return { privateKey, publicKey };
  }

  return {
    name: options.name,
    crypto,
    async generateKeyPair(alias: string, algorithm: KeyAlgorithmName) {
      const file = fileOf(alias);
      if (existsSync(file)) throw new Error(`A key with alias '${alias}' already exists in backend '${options.name}'`);
      const params = generationParams(algorithm);
      const { privateKey } =
        params.name === 'ECDSA'
          ? generateKeyPairSync('ec', { namedCurve: (params as EcKeyGenParams).namedCurve })
          : generateKeyPairSync('rsa', { modulusLength: (params as RsaHashedKeyGenParams).modulusLength });
      const pem = privateKey.export({
        format: 'pem',
        type: 'pkcs8',
        cipher: 'aes-256-cbc',
        passphrase: options.passphrase,
      }) as string;
      mkdirSync(options.directory, { recursive: true, mode: 0o700 });
      writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
      return importPair(pem);
    },
    async findKeyPair(alias: string) {
      const file = fileOf(alias);
      if (!existsSync(file)) return null;
      try {
        return await importPair(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new Error(`Cannot decrypt key '${alias}' in backend '${options.name}': wrong KEYS_PASSPHRASE?`, { cause: error });
      }
    },
    async deleteKeyPair(alias: string) {
      const file = fileOf(alias);
      if (!existsSync(file)) return false;
      rmSync(file);
      return true;
    },
    async close() {},
  };
}

function importParams(
  type: string | undefined,
  details: { namedCurve?: string } | undefined,
): EcKeyImportParams | RsaHashedImportParams {
  if (type === 'ec') {
    const curve = details?.namedCurve === 'secp384r1' ? 'P-384' : details?.namedCurve === 'prime256v1' ? 'P-256' : null;
    if (!curve) throw new Error(`Unsupported EC curve ${details?.namedCurve}`);
    return { name: 'ECDSA', namedCurve: curve };
  }
  if (type === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  throw new Error(`Unsupported key type ${type}`);
}
