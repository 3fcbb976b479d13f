/**
 * A Nest logger that reports a failed KMS boot as the one line the error carries. Nest's
 * `ExceptionHandler` logs a bootstrap failure with its whole stack and cause chain; for a
 * {@link KmsBootError} (bad credentials, unreachable server, invalid secrets) that is noise around the
 * one sentence that says what to fix.
 *
 * @module
 */
import { ConsoleLogger } from '@nestjs/common';
import { KmsBootError } from '@hanzo/kms-node';

/**
 * `ConsoleLogger` (all its options apply) that prints a {@link KmsBootError} as one line, without stack
 * or cause; everything else is printed as `ConsoleLogger` prints it.
 *
 * ```ts
 * const app = await NestFactory.create(AppModule, { abortOnError: false, logger: new KmsBootLogger() });
 * // ERROR [ExceptionHandler] KmsModule: login refused: the client id or client secret is wrong, ...
 * ```
 */
export class KmsBootLogger extends ConsoleLogger {
  override error(message: unknown, ...optionalParams: unknown[]): void {
    if (message instanceof KmsBootError) {
      // Keep the context (the last string argument, e.g. `ExceptionHandler`), drop the stack.
      const context = optionalParams.filter((param) => typeof param === 'string').at(-1);
      if (context === undefined) super.error(message.message);
      else super.error(message.message, undefined, context);
      return;
    }
    super.error(message, ...optionalParams);
  }
}
