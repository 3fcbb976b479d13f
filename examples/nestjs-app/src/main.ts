import 'reflect-metadata';
import { KmsBootError } from '@hanzo/kms-nestjs';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

try {
  // abortOnError: false makes a failed boot (bad credentials, unreachable KMS) reject here with its
  // one-line message instead of Nest calling process.abort().
  const app = await NestFactory.create(AppModule, { abortOnError: false });
  // Turns SIGTERM into app.close(); the KMS session is ended by app.close() either way.
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000));
} catch (error) {
  console.error(`boot failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof KmsBootError ? error.exitCode : 1;
}
