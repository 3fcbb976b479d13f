import 'reflect-metadata';
import { KmsBootError, KmsBootLogger } from '@hanzo/kms-nestjs';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

try {
  // abortOnError: false makes a failed boot (bad credentials, unreachable KMS) reject here instead of
  // Nest calling process.abort(); KmsBootLogger logs a KmsBootError as its one line, without a stack.
  const app = await NestFactory.create(AppModule, { abortOnError: false, logger: new KmsBootLogger() });
  // Turns SIGTERM into app.close(); the KMS session is ended by app.close() either way.
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000));
} catch (error) {
  // Nest has logged a bootstrap failure already; what it did not see (a busy port in listen) is printed here.
  if (!(error instanceof KmsBootError)) console.error(error);
  process.exitCode = error instanceof KmsBootError ? error.exitCode : 1;
}
