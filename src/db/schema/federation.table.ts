import type { Generated } from 'kysely';

export interface TrustListPublicationsTable {
  sequence: number;
  issued_at: Date;
  next_update: Date;
  /** SHA-256 of the list's content without sequence and times: a new sequence only when it changes (or for a timely re-issue). */
  content_sha256: string;
  jws: string;
}

export type PeerStatus = 'active' | 'stale';

export interface PeersTable {
  region_id: string;
  name: string;
  /** Where the peer publishes its trust list. */
  url: string;
  /** SHA-256 (hex) of the certificate that must have signed the list. */
  pinned_fingerprint: string;
  status: PeerStatus;
  sequence: number;
  /** The last list accepted, as received. */
  jws: string;
  next_update: Date;
  fetched_at: Date;
  last_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The newest list accepted from a peer region's signer, kept after the peer is removed. */
export interface PeerListsSeenTable {
  region_id: string;
  pinned_fingerprint: string;
  sequence: number;
  /** SHA-256 (hex) of the list's JWS payload part. */
  payload_sha256: string;
  updated_at: Date;
}

export interface SharingAgreementsTable {
  peer_region_id: string;
  /** A department of the peer region by credit code, or '*' for all of them. */
  department_credit_code: string;
  type_code: string;
  /** Set when the law lets this type be shared without the holder's consent (e.g. a statute for 营业执照). */
  legal_basis: string | null;
  created_at: Date;
}

export interface HolderConsentsTable {
  code_sha256: string;
  licence_id: string;
  purpose: string | null;
  expires_at: Date;
  used_at: Date | null;
  created_at: Date;
}

export interface ShareLinksTable {
  token_sha256: string;
  licence_id: string;
  usage_id: number;
  /** The annotated copy (加注件), made when the request was granted. */
  pdf: Uint8Array;
  expires_at: Date;
  used_at: Date | null;
}

export interface SharingUsageTable {
  id: Generated<number>;
  direction: 'provided' | 'received';
  peer_region_id: string;
  department_credit_code: string;
  department_name: string;
  licence_identifier: string | null;
  type_code: string | null;
  purpose: string;
  outcome: string;
  consent: string | null;
  request_id: string;
  at: Date;
}
