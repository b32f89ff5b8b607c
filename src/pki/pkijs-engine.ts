import * as pkijs from 'pkijs';

const engines = new WeakMap<Crypto, pkijs.CryptoEngine>();

/**
 * The pkijs crypto engine for a WebCrypto provider (Node's native one, or a PKCS#11
 * provider). Passed explicitly to every pkijs call instead of pkijs's global engine, so
 * keys from different backends never meet the wrong provider.
 */
export function pkijsEngine(crypto: Crypto): pkijs.CryptoEngine {
  let engine = engines.get(crypto);
  if (!engine) {
    engine = new pkijs.CryptoEngine({ name: 'webcrypto', crypto });
    engines.set(crypto, engine);
  }
  return engine;
}
