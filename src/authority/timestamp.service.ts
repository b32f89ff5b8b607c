import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import {
  buildTimeStampRejection,
  buildTimeStampResponse,
  checkPolicy,
  parseTimeStampRequest,
  type TimeStampSigner,
} from '../pki/timestamp.js';
import * as pkijs from 'pkijs';
import type { CaConfig } from './ca-config.js';
import type { ServiceIdentity } from './hierarchy.js';

/**
 * The region's RFC 3161 time-stamping unit. Serials are 128 random bits, so they are
 * unique without a database write per token; every answer, granted or rejected, is a
 * protocol answer (RFC 3161 §2.4.2), never an HTTP error.
 */
export class TimestampService {
  private readonly signer: TimeStampSigner;
  private readonly extraCerts: Uint8Array[];

  constructor(
    unit: ServiceIdentity,
    private readonly settings: CaConfig['timestamping'],
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly random: (size: number) => Uint8Array = (n) => randomBytes(n),
  ) {
    this.signer = { certificate: unit.der, privateKey: unit.keys.privateKey, crypto: unit.backend.crypto };
    // The issuing CA travels with the token, so a verifier needs only the root.
    this.extraCerts = unit.issuer.chain.slice(0, -1).map((cert) => new Uint8Array(cert.rawData));
  }

  /**
   * A time-stamp token over a SHA-256 digest, for our own signatures (PAdES B-T and
   * document timestamps): the same unit and policy as the public endpoint, without HTTP.
   */
  async stamp(digest: Uint8Array): Promise<Uint8Array> {
    const response = await buildTimeStampResponse({
      request: { hashAlgorithm: 'SHA-256', hashedMessage: digest, reqPolicy: null, nonce: null, certReq: true },
      policy: this.settings.policy,
      serialNumber: this.random(16),
      genTime: this.clock.now(),
      accuracy: { seconds: this.settings.accuracySeconds },
      signer: this.signer,
      extraCerts: this.extraCerts,
    });
    return timeStampTokenOf(response);
  }

  async respond(requestDer: Uint8Array): Promise<Uint8Array> {
    const parsed = parseTimeStampRequest(requestDer);
    if (!parsed.ok) return buildTimeStampRejection(parsed.failure);
    const policyProblem = checkPolicy(parsed.request, this.settings.policy);
    if (policyProblem) return buildTimeStampRejection(policyProblem);
    try {
      return await buildTimeStampResponse({
        request: parsed.request,
        policy: this.settings.policy,
        serialNumber: this.random(16),
        genTime: this.clock.now(),
        accuracy: { seconds: this.settings.accuracySeconds },
        signer: this.signer,
        extraCerts: this.extraCerts,
      });
    } catch (error) {
      this.logger.error({ err: error }, 'time-stamp signing failed');
      return buildTimeStampRejection('systemFailure', 'The time-stamping unit could not sign');
    }
  }
}

/** TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL } (RFC 3161 §2.4.2) */
function timeStampTokenOf(responseDer: Uint8Array): Uint8Array {
  const response = pkijs.TimeStampResp.fromBER(Uint8Array.from(responseDer));
  if (!response.timeStampToken) throw new Error('the time-stamping unit granted no token');
  return new Uint8Array(response.timeStampToken.toSchema().toBER(false));
}
