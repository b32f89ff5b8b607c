import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { AuditService, SYSTEM_ACTOR } from './audit/audit.service.js';
import { loadCaConfig } from './authority/ca-config.js';
import { CertificateService } from './authority/certificate.service.js';
import { CrlService } from './authority/crl.service.js';
import { type Hierarchy, loadHierarchy } from './authority/hierarchy.js';
import { openKeyBackends } from './authority/key-backends.js';
import { OcspService } from './authority/ocsp.service.js';
import { TimestampService } from './authority/timestamp.service.js';
import { type Clock, systemClock } from './clock.js';
import type { Config, Secrets } from './config/config.js';
import { type OpenDatabase, openDatabase } from './db/database.js';
import type { Database } from './db/schema/database.js';
import { ApiKeyService } from './departments/api-key.service.js';
import { ClientCertificateService } from './departments/client-certificate.service.js';
import { padesServices } from './seals/pades-services.js';
import { SealService } from './seals/seal.service.js';
import { SealingService } from './seals/sealing.service.js';
import { DepartmentService } from './departments/department.service.js';
import { LicenceBatchService } from './licences/batch.service.js';
import { LicenceService } from './licences/licence.service.js';
import { LicenceCheckService } from './licences/licence-check.service.js';
import { PeerDirectory } from './federation/peer-directory.js';
import { PeerOcspSource, RegionRevocationSource } from './federation/peer-revocation.js';
import { PeerService } from './federation/peer.service.js';
import { SharingService } from './federation/sharing.service.js';
import { TrustListService } from './federation/trust-list.service.js';
import { LocalRevocationSource } from './verification/local-revocation.js';
import { VerificationService } from './verification/verification.service.js';
import { LicenceTokenService } from './licences/licence-token.service.js';
import { LicenceTypeCatalogue } from './licences/licence-type.js';

/** Everything a request handler or command needs, built once from config and passed down. */
export interface AppContext {
  readonly config: Config;
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly audit: AuditService;
  readonly departments: DepartmentService;
  readonly apiKeys: ApiKeyService;
  readonly hierarchy: Hierarchy;
  readonly certificates: CertificateService;
  readonly crls: CrlService;
  readonly ocsp: OcspService;
  readonly timestamps: TimestampService;
  readonly clientCertificates: ClientCertificateService;
  readonly seals: SealService;
  readonly sealing: SealingService;
  readonly licenceTokens: LicenceTokenService;
  readonly licences: LicenceService;
  readonly licenceBatches: LicenceBatchService;
  readonly licenceChecks: LicenceCheckService;
  readonly verification: VerificationService;
  readonly trustList: TrustListService;
  readonly peers: PeerService;
  readonly sharing: SharingService;
  /** Database engine actually in use, for readiness reporting. */
  readonly engine: OpenDatabase['engine'];
  close(): Promise<void>;
}

export interface ContextOptions {
  clock?: Clock;
  /** An already opened database (tests); otherwise the config decides. */
  database?: OpenDatabase;
}

export async function createContext(
  config: Config,
  secrets: Secrets,
  logger: Logger,
  options: ContextOptions = {},
): Promise<AppContext> {
  const clock = options.clock ?? systemClock;
  const database =
    options.database ??
    (await openDatabase(
      secrets.databaseUrl
        ? { engine: 'postgres', url: secrets.databaseUrl }
        : { engine: 'embedded', dataDir: config.dataDir },
      (error) => logger.warn({ err: error }, 'database connection lost; the pool will reconnect'),
    ));
  const { db } = database;
  const audit = new AuditService(db, clock);
  const departments = new DepartmentService(db, audit, clock, config.regionId);
  const apiKeys = new ApiKeyService(db, audit, clock);

  let backends: Awaited<ReturnType<typeof openKeyBackends>> = new Map();
  const closeAll = async () => {
    await licenceBatches?.stop();
    await licenceChecks?.close();
    peers?.stop();
    await Promise.all([...backends.values()].map((b) => b.close()));
    await database.close();
  };
  let hierarchy: Hierarchy;
  let certificates: CertificateService;
  let crls: CrlService;
  let ocsp: OcspService;
  let timestamps: TimestampService;
  let seals: SealService;
  let sealing: SealingService;
  let licenceTokens: LicenceTokenService;
  let licences: LicenceService;
  let licenceBatches: LicenceBatchService;
  let licenceChecks: LicenceCheckService;
  let verification: VerificationService;
  let trustList: TrustListService;
  let peers: PeerService;
  let sharing: SharingService;
  try {
    const caConfig = loadCaConfig(config.caConfigFile);
    backends = await openKeyBackends(caConfig, config.keysDir, secrets, logger, { production: config.production });
    hierarchy = await loadHierarchy({ config: caConfig, backends, keysDir: config.keysDir, publicBaseUrl: config.publicBaseUrl, clock });
    certificates = new CertificateService(db, audit, clock, hierarchy, config.publicBaseUrl);
    crls = new CrlService(db, audit, clock, hierarchy);
    ocsp = await OcspService.create(db, clock, logger, hierarchy, caConfig.ocsp);
    timestamps = new TimestampService(hierarchy.timestampUnit, caConfig.timestamping, clock, logger);
    seals = new SealService(db, audit, clock, certificates);
    sealing = new SealingService(db, audit, clock, seals, hierarchy, padesServices(hierarchy, timestamps, ocsp, crls));
    const catalogue = LicenceTypeCatalogue.load(config.templatesDir);
    // QR tokens are a regional service like OCSP and timestamps: their key lives with the services CA's.
    licenceTokens = new LicenceTokenService(db, audit, clock, hierarchy.authorities.get('services-ca')!.backend, config.regionId);
    licences = new LicenceService(db, audit, clock, catalogue, sealing, licenceTokens, {
      id: config.regionId,
      name: config.regionName,
      publicBaseUrl: config.publicBaseUrl,
    });
    licenceBatches = new LicenceBatchService(db, audit, clock, licences, logger);
    trustList = new TrustListService(db, clock, hierarchy, licenceTokens, catalogue, {
      id: config.regionId,
      name: config.regionName,
      publicBaseUrl: config.publicBaseUrl,
      validityHours: config.trustListValidityHours,
    });
    peers = new PeerService(db, audit, clock, logger, config.regionId);
    const authorities = [...hierarchy.authorities.values()];
    const revocation = new LocalRevocationSource(db, new Set(authorities.map((a) => createHash('sha256').update(a.der).digest('hex'))), () => clock.now());
    const peerDirectory = new PeerDirectory(peers, config.peerStatusCacheSeconds * 1000);
    licenceChecks = new LicenceCheckService(db, clock, logger, licences, licenceTokens, peerDirectory);
    sharing = new SharingService(db, audit, clock, logger, licences, sealing, hierarchy, peers, peerDirectory, {
      id: config.regionId,
      name: config.regionName,
      publicBaseUrl: config.publicBaseUrl,
    });
    verification = new VerificationService(clock, licences, {
      region: { id: config.regionId, name: config.regionName },
      anchors: [{ certificateDer: hierarchy.root.der, name: `${config.regionName} (${config.regionId})` }],
      intermediates: authorities.filter((a) => a !== hierarchy.root).map((a) => a.der),
      // Own certificates from the own registry, a recognised region's from its OCSP responder.
      revocation: new RegionRevocationSource(revocation, new PeerOcspSource((issuer) => peerDirectory.ocspUrlFor(issuer.sha256Fingerprint), config.peerStatusCacheSeconds * 1000)),
      maxBytes: config.maxDocumentBytes,
      peers: { service: peers, directory: peerDirectory },
    });
    await certificates.registerHierarchy(SYSTEM_ACTOR);
    // A status change shows in OCSP and in the CRL at once, not at the next refresh.
    certificates.onStatusChange(async (changed) => {
      ocsp.evict(changed.serialNumber);
      revocation.evict(changed.serialNumber);
      await crls.publish(changed.caId);
    });
  } catch (error) {
    await closeAll();
    throw error;
  }
  return {
    config,
    db,
    clock,
    logger,
    audit,
    departments,
    apiKeys,
    hierarchy,
    certificates,
    crls,
    ocsp,
    timestamps,
    clientCertificates: new ClientCertificateService(db, certificates),
    seals,
    sealing,
    licenceTokens,
    licences,
    licenceBatches,
    licenceChecks,
    verification,
    trustList,
    peers,
    sharing,
    engine: database.engine,
    close: closeAll,
  };
}
