import { InvalidInputError, NotFoundError } from '../errors.js';
import type { DistinguishedName } from '../pki/certificate.js';
import type { KeyAlgorithmName } from '../signing/key-backend.js';
import { type CaConfig, type CertificateProfile, SUBJECT_ATTRIBUTES, type SubjectAttribute } from './ca-config.js';

/** RFC 5280 Appendix A upper bounds, and 2 letters for the country. */
const MAX_LENGTH: Partial<Record<SubjectAttribute, number>> = { C: 2, CN: 64, O: 64, OU: 64, ST: 128, L: 128, serialNumber: 64 };

export interface IssuanceRequest {
  caId: string;
  profile: string;
  subject: Partial<Record<string, string>>;
  keyAlgorithm: KeyAlgorithmName;
  validityDays?: number;
}

export interface IssuanceDecision {
  profile: CertificateProfile;
  subject: DistinguishedName;
  validityDays: number;
}

/**
 * Decides whether `request` may be issued and what exactly goes into the certificate.
 * The profile, not the requester, dictates extensions; the requester only names the
 * subject, the key and (within the cap) the validity.
 */
export function decideIssuance(config: CaConfig, request: IssuanceRequest): IssuanceDecision {
  const authority = config.authorities.find((a) => a.id === request.caId);
  if (!authority) throw new NotFoundError('UnknownCa', `No certificate authority '${request.caId}'`);
  const profile = config.profiles[request.profile];
  if (!profile) throw new NotFoundError('UnknownProfile', `No certificate profile '${request.profile}'`);
  if (!authority.profiles.includes(request.profile)) {
    throw violation(`CA '${request.caId}' does not issue '${request.profile}' certificates (it issues: ${authority.profiles.join(', ') || 'none'})`);
  }
  if (!profile.keyAlgorithms.includes(request.keyAlgorithm)) {
    throw violation(`Profile '${request.profile}' does not accept ${request.keyAlgorithm} keys; use ${profile.keyAlgorithms.join(', ')}`);
  }
  const validityDays = request.validityDays ?? profile.defaultValidityDays ?? profile.maxValidityDays;
  if (validityDays > profile.maxValidityDays) {
    throw violation(`Profile '${request.profile}' allows at most ${profile.maxValidityDays} days, not ${validityDays}`);
  }
  return { profile, subject: decideSubject(request.profile, profile, request.subject), validityDays };
}

function decideSubject(name: string, profile: CertificateProfile, requested: Partial<Record<string, string>>): DistinguishedName {
  const values = new Map<SubjectAttribute, string>();
  for (const [attr, raw] of Object.entries(requested)) {
    if (raw === undefined) continue;
    const value = raw.trim();
    if (!(SUBJECT_ATTRIBUTES as readonly string[]).includes(attr) || !profile.subject.allowed.includes(attr as SubjectAttribute)) {
      throw violation(`Profile '${name}' does not allow subject attribute ${attr}; allowed: ${profile.subject.allowed.join(', ')}`);
    }
    const fixed = profile.subject.fixed[attr as SubjectAttribute];
    if (fixed !== undefined && fixed !== value) {
      throw violation(`Profile '${name}' fixes ${attr} to '${fixed}'`);
    }
    const max = MAX_LENGTH[attr as SubjectAttribute] ?? 64;
    if (value.length === 0 || [...value].length > max) {
      throw violation(`Subject ${attr} must have 1 to ${max} characters`);
    }
    if (/[\u0000-\u001f\u007f]/.test(value)) throw violation(`Subject ${attr} contains control characters`);
    values.set(attr as SubjectAttribute, value);
  }
  for (const [attr, value] of Object.entries(profile.subject.fixed)) values.set(attr as SubjectAttribute, value!);
  const missing = profile.subject.required.filter((attr) => !values.has(attr));
  if (missing.length) throw violation(`Profile '${name}' requires subject ${missing.join(', ')}`);
  return SUBJECT_ATTRIBUTES.filter((attr) => values.has(attr)).map((attr) => [attr, values.get(attr)!] as const);
}

function violation(message: string): InvalidInputError {
  return new InvalidInputError('ProfileViolation', message);
}
