/**
 * The reflect-metadata API, when the application has loaded it (`import "reflect-metadata"`, as NestJS and
 * TypeORM applications do, or core-js's equivalent). Looked up on the global Reflect and never loaded from
 * here: tracking must not depend on it (test/unit/architecture/layering.test.ts).
 */
interface ReflectMetadataApi {
  getOwnMetadataKeys(target: object): unknown[];
  getOwnMetadata(key: unknown, target: object): unknown;
  defineMetadata(key: unknown, value: unknown, target: object): void;
}

function reflectMetadata(): ReflectMetadataApi | null {
  const api = Reflect as unknown as Partial<ReflectMetadataApi>;
  return typeof api.getOwnMetadataKeys === "function" &&
    typeof api.getOwnMetadata === "function" &&
    typeof api.defineMetadata === "function"
    ? (api as ReflectMetadataApi)
    : null;
}

/**
 * Copies every reflect-metadata entry of `original` onto `replacement`, the function that takes its place.
 *
 * Decorators apply from the bottom up, and metadata decorators such as NestJS's `@SetMetadata`, `@UseGuards` or
 * route decorators store their metadata on the method function itself (`Reflect.defineMetadata(key, value,
 * descriptor.value)`). One applied below `@TrackExecution` has stored it on the original method, which the
 * tracked replacement hides: without this copy `Reflector.get(key, handler)` would find nothing. One applied
 * above finds the replacement and stores onto it directly. Entries already on `replacement` are kept. Without
 * reflect-metadata loaded there is no such metadata, and nothing is done.
 */
export function carryMetadata(original: object, replacement: object): void {
  const api = reflectMetadata();
  if (api === null) return;
  for (const key of api.getOwnMetadataKeys(original)) {
    if (api.getOwnMetadataKeys(replacement).includes(key)) continue;
    api.defineMetadata(key, api.getOwnMetadata(key, original), replacement);
  }
}
