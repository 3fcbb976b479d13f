import * as z from 'zod';

/** The secrets of the app's `/app` folder: validated at boot, so a typo fails `NestFactory.create()`. */
export const appSecrets = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  API_KEY: z.string().min(8),
});

/** What `KmsService.get()` returns for this app. */
export type AppSecrets = z.output<typeof appSecrets>;
