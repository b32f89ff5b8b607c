/**
 * The one place that loads @peculiar/x509: it needs the Reflect metadata polyfill
 * (tsyringe) before it is first imported (libraries.md §3).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export { x509 };
