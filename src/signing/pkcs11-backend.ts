/**
 * PKCS#11 key backend: keys are generated and used inside a token (an HSM, or SoftHSM2 in
 * development and tests) through node-webcrypto-p11, which turns a PKCS#11 session into a
 * WebCrypto provider. Private keys are token objects with CKA_SENSITIVE = true and
 * CKA_EXTRACTABLE = false (PKCS#11 v2.40 §4.9), so their value never leaves the token.
 *
 * A key pair is found again by its alias, stored as CKA_LABEL on both the private and the
 * public key object. CKA_ID is left to node-webcrypto-p11, which sets it on both halves to
 * the first 16 bytes of SHA-1(SubjectPublicKeyInfo), as most PKCS#11 tools expect.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import {
  Crypto as Pkcs11Crypto,
  CryptoKey as Pkcs11CryptoKey,
  type Pkcs11EcKeyGenParams,
  type Pkcs11RsaHashedKeyGenParams,
} from 'node-webcrypto-p11';
import { ConflictError, InvalidInputError, UnavailableError } from '../errors.js';
import { generationParams, KEY_USAGES, type BackendKeyPair, type KeyAlgorithmName, type KeyBackend } from './key-backend.js';

export interface Pkcs11BackendOptions {
  /** The backend's name in ca-config; also used in error messages. */
  name: string;
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  library: string;
  /**
   * Index into the module's list of slots that hold a token (C_GetSlotList(CK_TRUE)), not
   * the slot id: SoftHSM2 gives an initialised token a random slot id.
   */
  slot: number;
  /** User PIN. Never put into messages or logs. */
  pin: string;
  /**
   * Expected token label. Slot indexes shift when tokens are added or removed, so
   * configuring the label turns "signing with another token's keys" into an open error.
   */
  tokenLabel?: string;
}

/**
 * Opens a read/write session on the token at `options.slot` and logs in as the user.
 * Fails with an `UnavailableError` (code `KeyBackendUnavailable`) naming the library, slot
 * or token, and never the PIN, when the module cannot be loaded, the slot index does not
 * exist, the token label differs from `tokenLabel`, or the login is refused.
 */
export async function createPkcs11Backend(options: Pkcs11BackendOptions): Promise<KeyBackend> {
  const module = openModule(options);
  try {
    checkTokenLabel(module, options);
    login(module, options);
  } catch (error) {
    module.release();
    throw error;
  }
  return new Pkcs11KeyBackend(options.name, module);
}

/** CKO_PUBLIC_KEY and CKO_PRIVATE_KEY, the CKA_CLASS values from pkcs11t.h. */
const CKO_PUBLIC_KEY = 2;
const CKO_PRIVATE_KEY = 3;

/** What `session.find` yields, as node-webcrypto-p11 names it (graphene-pk11's `Key`). */
type TokenKeyObject = Parameters<typeof Pkcs11CryptoKey.getID>[0];

/**
 * The methods of WebCrypto's SubtleCrypto. Every one of them may use the PKCS#11 session
 * (node-webcrypto-p11 even digests in the token), so each goes through the session queue.
 */
const SUBTLE_METHODS = [
  'decrypt',
  'deriveBits',
  'deriveKey',
  'digest',
  'encrypt',
  'exportKey',
  'generateKey',
  'importKey',
  'sign',
  'unwrapKey',
  'verify',
  'wrapKey',
] as const satisfies readonly (keyof SubtleCrypto)[];

class Pkcs11KeyBackend implements KeyBackend {
  readonly crypto: Crypto;
  private readonly session: SessionQueue;
  private closing: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly module: OpenModule,
  ) {
    this.session = new SessionQueue(() => this.assertOpen());
    this.crypto = serialisedCrypto(module.p11, this.session);
  }

  async generateKeyPair(alias: string, algorithm: KeyAlgorithmName): Promise<BackendKeyPair> {
    checkAlias(alias);
    return this.session.run(async () => {
      if (this.aliasInUse(alias)) {
        throw new ConflictError('KeyAliasInUse', `${this.describe()}: a key with alias "${alias}" already exists`, {
          details: { alias },
        });
      }
      const params: Pkcs11EcKeyGenParams | Pkcs11RsaHashedKeyGenParams = {
        ...generationParams(algorithm),
        label: alias,
        token: true,
        sensitive: true,
      };
      // extractable=false becomes CKA_EXTRACTABLE=false on the private key; the public key
      // is always readable, which building certificates needs.
      const keys = (await this.module.p11.subtle.generateKey(params, false, KEY_USAGES)) as CryptoKeyPair;
      return { privateKey: keys.privateKey, publicKey: keys.publicKey };
    });
  }

  async findKeyPair(alias: string): Promise<BackendKeyPair | null> {
    checkAlias(alias);
    return this.session.run(async () => {
      const privateKey = await this.loadKey(CKO_PRIVATE_KEY, alias);
      if (!privateKey) return null;
      const publicKey = await this.loadKey(CKO_PUBLIC_KEY, alias);
      if (!publicKey) {
        // generateKeyPair always stores both halves, so something else made this object.
        throw new ConflictError('KeyPairIncomplete', `${this.describe()}: key "${alias}" has no public key object in the token`, {
          details: { alias },
        });
      }
      return { privateKey, publicKey };
    });
  }

  async deleteKeyPair(alias: string): Promise<boolean> {
    checkAlias(alias);
    return this.session.run(async () => {
      const objects = [...this.findKeyObjects(CKO_PRIVATE_KEY, alias), ...this.findKeyObjects(CKO_PUBLIC_KEY, alias)];
      for (const object of objects) object.destroy();
      return objects.length > 0;
    });
  }

  /**
   * Closes the session once the operations already queued have finished. Closing the
   * session logs the user out when it is the application's last one on the token
   * (PKCS#11 v2.40 §5.6 C_CloseSession); the module is finalised when no other backend in
   * this process still uses it. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.session.drain().then(() => this.module.release());
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw new UnavailableError('KeyBackendClosed', `${this.describe()} is closed`);
  }

  /** The key object of `objectClass` labelled `alias` as a WebCrypto key, or null. */
  private async loadKey(objectClass: number, alias: string): Promise<CryptoKey | null> {
    const objects = this.findKeyObjects(objectClass, alias);
    if (objects.length > 1) {
      throw new ConflictError('KeyAliasAmbiguous', `${this.describe()}: ${objects.length} key objects are labelled "${alias}"`, {
        details: { alias },
      });
    }
    const [object] = objects;
    if (!object) return null;
    // Without an algorithm argument, node-webcrypto-p11 reads it from the object itself
    // (key type, curve from CKA_EC_PARAMS, modulus length), and usages from CKA_SIGN/VERIFY.
    return this.module.p11.keyStorage.getItem(Pkcs11CryptoKey.getID(object));
  }

  private aliasInUse(alias: string): boolean {
    return this.findKeyObjects(CKO_PRIVATE_KEY, alias).length > 0 || this.findKeyObjects(CKO_PUBLIC_KEY, alias).length > 0;
  }

  private findKeyObjects(objectClass: number, alias: string): TokenKeyObject[] {
    const collection = this.module.p11.session.find({ class: objectClass, token: true, label: alias });
    return Array.from({ length: collection.length }, (_, index) => collection.items(index).toType<TokenKeyObject>());
  }

  private describe(): string {
    return `PKCS#11 backend "${this.name}" (token "${this.module.tokenLabel}")`;
  }
}

/**
 * A PKCS#11 session runs one operation at a time: a second C_SignInit while a signature is
 * in progress fails with CKR_OPERATION_ACTIVE, and node-webcrypto-p11 uses one session for
 * everything. So every use of the session, including signatures made by pkijs and
 * @peculiar/x509 through `backend.crypto`, waits here for the one before it.
 */
class SessionQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Throws once the backend is closing: after C_Finalize the module must not be called. */
  constructor(readonly assertOpen: () => void) {}

  run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      this.assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    const result = this.tail.then(operation);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Settles when every operation queued so far has finished. */
  drain(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

/**
 * The provider handed to pkijs and @peculiar/x509: node-webcrypto-p11's `subtle` with each
 * method queued on the session. Only the WebCrypto surface is exposed, so nothing reaches
 * the session around the queue.
 */
function serialisedCrypto(p11: Pkcs11Crypto, session: SessionQueue): Crypto {
  const subtle: Record<string, unknown> = {};
  for (const method of SUBTLE_METHODS) {
    const operation = p11.subtle[method] as (...args: unknown[]) => Promise<unknown>;
    subtle[method] = (...args: unknown[]) => session.run(() => operation.apply(p11.subtle, args));
  }
  const crypto = {
    subtle,
    // C_GenerateRandom is synchronous, so it cannot interleave with our own calls, and
    // SoftHSM2 locks its session internally against the one running on libuv's pool.
    getRandomValues: <T extends ArrayBufferView | null>(array: T): T => {
      session.assertOpen();
      return p11.getRandomValues(array);
    },
    randomUUID: () => {
      session.assertOpen();
      return p11.randomUUID();
    },
  };
  // Cast: node-webcrypto-p11's classes implement WebCrypto but are not declared as the DOM
  // `Crypto`/`SubtleCrypto` types (their overloads differ); callers use only that surface.
  return crypto as unknown as Crypto;
}

/**
 * PKCS#11 modules keep process-wide state: C_Initialize once per process, C_Finalize ends
 * every session of every user of the library. node-webcrypto-p11 tolerates a second
 * initialisation but finalises unconditionally on close, so we count the open sessions per
 * library here (the one piece of module-level state, mirroring the library's own) and
 * finalise only when the last one closes.
 */
const openSessionsByLibrary = new Map<string, number>();

interface OpenModule {
  readonly p11: Pkcs11Crypto;
  readonly tokenLabel: string;
  /** Closes the session; finalises and unloads the module if no one else in the process uses it. */
  release(): void;
}

function openModule(options: Pkcs11BackendOptions): OpenModule {
  const library = libraryKey(options.library);
  let p11: Pkcs11Crypto;
  try {
    // No PIN here: login happens separately so that a refused login can still close the
    // session (node-webcrypto-p11 would throw from its constructor and leak it).
    p11 = new Pkcs11Crypto({ name: options.name, library: options.library, slot: options.slot, readWrite: true });
  } catch (error) {
    throw new UnavailableError(
      'KeyBackendUnavailable',
      `PKCS#11 backend "${options.name}": cannot open slot index ${options.slot} of library ${options.library}: ${messageOf(error)}`,
      { cause: error },
    );
  }
  openSessionsByLibrary.set(library, (openSessionsByLibrary.get(library) ?? 0) + 1);
  let released = false;
  return {
    p11,
    tokenLabel: p11.token.label,
    release() {
      if (released) return;
      released = true;
      try {
        p11.session.close();
      } catch {
        // Already closed (e.g. the token was removed); finalising below still cleans up.
      }
      const remaining = (openSessionsByLibrary.get(library) ?? 1) - 1;
      if (remaining > 0) {
        openSessionsByLibrary.set(library, remaining);
        return;
      }
      openSessionsByLibrary.delete(library);
      try {
        p11.slot.module.finalize();
      } catch (error) {
        // Someone else (another PKCS#11 wrapper in this process) finalised it already.
        if (messageOf(error) !== 'CKR_CRYPTOKI_NOT_INITIALIZED') throw error;
      } finally {
        p11.slot.module.close();
      }
    },
  };
}

/** The same module file reached by two paths (symlinks) is one Cryptoki instance. */
function libraryKey(library: string): string {
  try {
    return realpathSync(library);
  } catch {
    return path.resolve(library);
  }
}

function checkTokenLabel(module: OpenModule, options: Pkcs11BackendOptions): void {
  if (options.tokenLabel === undefined || module.tokenLabel === options.tokenLabel) return;
  throw new UnavailableError(
    'KeyBackendUnavailable',
    `PKCS#11 backend "${options.name}": slot index ${options.slot} holds token "${module.tokenLabel}", not "${options.tokenLabel}"`,
  );
}

/** Readable reasons for the C_Login return values an operator can act on (PKCS#11 v2.40 §5.6). */
const LOGIN_FAILURES: Record<string, string> = {
  CKR_PIN_INCORRECT: 'wrong PIN',
  CKR_PIN_LOCKED: 'the user PIN is locked',
  CKR_PIN_EXPIRED: 'the user PIN has expired',
  CKR_PIN_LEN_RANGE: 'the PIN has the wrong length',
  CKR_USER_PIN_NOT_INITIALIZED: 'the token has no user PIN yet',
};

function login(module: OpenModule, options: Pkcs11BackendOptions): void {
  try {
    module.p11.login(options.pin);
  } catch (error) {
    // The cause is pkcs11js's Pkcs11Error, whose message is only the CKR_ name.
    const code = messageOf(error);
    const reason = LOGIN_FAILURES[code] ? `${LOGIN_FAILURES[code]} (${code})` : code;
    throw new UnavailableError('KeyBackendUnavailable', `PKCS#11 backend "${options.name}": login to token "${module.tokenLabel}" failed: ${reason}`, {
      cause: error,
    });
  }
}

function checkAlias(alias: string): void {
  // CKA_LABEL is compared byte for byte and some tools pad or trim it: keep aliases plain.
  if (alias.length === 0 || alias.trim() !== alias) {
    throw new InvalidInputError('InvalidKeyAlias', `key alias must be non-empty without leading or trailing spaces: "${alias}"`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
