import type { Hierarchy } from './hierarchy.js';
import { publicationUrls } from './publication-urls.js';

export interface AuthoritySummary {
  id: string;
  issuer: string | null;
  subject: string;
  keyAlgorithm: string;
  keyBackend: string;
  notBefore: string;
  notAfter: string;
  pathLength: number;
  profiles: string[];
  certificateUrl: string;
  crlUrl: string;
  /** True when this start generated the CA (first start, or a CA newly declared). */
  createdNow: boolean;
}

/** What operators are shown about each CA, root first (the API and the CLI show the same). */
export function authoritySummaries(hierarchy: Hierarchy, publicBaseUrl: string): AuthoritySummary[] {
  const urls = publicationUrls(publicBaseUrl);
  const created = new Set(hierarchy.created.map((c) => c.name));
  return [...hierarchy.authorities.values()].map((a) => ({
    id: a.spec.id,
    issuer: a.issuer?.spec.id ?? null,
    subject: a.certificate.subject,
    keyAlgorithm: a.algorithm,
    keyBackend: a.backend.name,
    notBefore: a.certificate.notBefore.toISOString(),
    notAfter: a.certificate.notAfter.toISOString(),
    pathLength: a.spec.pathLength,
    profiles: a.spec.profiles,
    certificateUrl: urls.caCertificate(a.spec.id),
    crlUrl: urls.crl(a.spec.id),
    createdNow: created.has(a.spec.id),
  }));
}
