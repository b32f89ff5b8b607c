import { createApp } from './app.js';
import { CaConfigError } from './authority/ca-config.js';
import { ConfigError, loadConfig } from './config/config.js';
import { createContext } from './context.js';
import { bootstrapOperator } from './departments/operator-bootstrap.js';
import { AppError } from './errors.js';
import { startServer } from './http/server.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { config, secrets } = loaded;
  const logger = createLogger(config.logLevel);

  let ctx;
  try {
    ctx = await createContext(config, secrets, logger);
  } catch (error) {
    // Problems an operator can fix (locked data folder, bad CA configuration, missing key):
    // a message, not a stack trace.
    if (error instanceof AppError || error instanceof CaConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const first = await bootstrapOperator(ctx.db, ctx.departments, ctx.apiKeys, {
    name: config.operatorName,
    creditCode: config.operatorCreditCode,
    regionId: config.regionId,
    presetToken: secrets.adminToken,
  });
  if (first?.generated) {
    // Printed once, to the console only (not the JSON log), so it is not shipped to log storage.
    process.stderr.write(
      [
        '',
        '================================================================',
        ' First start: an administrator department was created.',
        ` Department: ${first.department.name} (${first.department.id})`,
        ' Its API key, shown only this once (send as "Authorization: Bearer <key>"):',
        '',
        `   ${first.token}`,
        '',
        ' Store it now. Lost it? Run: npm run cli -- keys issue --department <id>',
        '================================================================',
        '',
      ].join('\n'),
    );
  } else if (first) {
    logger.info({ departmentId: first.department.id }, 'first administrator created with ADMIN_TOKEN');
  }

  const stopCrlSchedule = ctx.crls.startSchedule(logger);
  const stopOcspWatch = ctx.ocsp.startWatching();
  // Batch jobs left half done by a stopped or crashed instance resume here.
  ctx.licenceBatches.start();
  ctx.peers.start(config.peerRefreshSeconds * 1000, { departmentId: null, keyId: null, requestId: 'peer-refresh' });
  await ctx.crls.refreshDue();

  const app = createApp(ctx);
  const server = startServer(app.fetch, config, ctx.hierarchy, (info) => {
    logger.info(
      { port: info.port, host: config.host, tls: config.tls !== null, publicBaseUrl: config.publicBaseUrl, database: config.database, region: config.regionId },
      'listening',
    );
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    stopCrlSchedule();
    stopOcspWatch();
    server.close(async () => {
      await ctx.close();
      logger.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

await main();
