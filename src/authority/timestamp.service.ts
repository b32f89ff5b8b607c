import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import {
  buildTimeStampRejection,
  buildTimeStampResponse,
  checkPolicy,
  parseTimeStampRequest,
  timeStampTokenFromResponse,
  type TimeStampRequest,
  type TimeStampSigner,
} from '../pki/timestamp.js';
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
    const response = await this.grant({ hashAlgorithm: 'SHA-256', hashedMessage: digest, reqPolicy: null, nonce: null, certReq: true });
    return timeStampTokenFromResponse(response);
  }

  async respond(requestDer: Uint8Array): Promise<Uint8Array> {
    const parsed = parseTimeStampRequest(requestDer);
    if (!parsed.ok) return buildTimeStampRejection(parsed.failure);
    const policyProblem = checkPolicy(parsed.request, this.settings.policy);
    if (policyProblem) return buildTimeStampRejection(policyProblem);
    try {
      return await this.grant(parsed.request);
    } catch (error) {
      this.logger.error({ err: error }, 'time-stamp signing failed');
      return buildTimeStampRejection('systemFailure', 'The time-stamping unit could not sign');
    }
  }

  /** A granted response for an accepted request, under our policy, with a fresh 128-bit serial. */
  private grant(request: TimeStampRequest): Promise<Uint8Array> {
    return buildTimeStampResponse({
      request,
      policy: this.settings.policy,
      serialNumber: this.random(16),
      genTime: this.clock.now(),
      accuracy: { seconds: this.settings.accuracySeconds },
      signer: this.signer,
      extraCerts: this.extraCerts,
    });
  }
}
