import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { readFileSync } from 'node:fs';
console.log(new x509.X509Certificate(readFileSync('/tmp/ocsp-exp/good.pem', 'utf8')).serialNumber);
