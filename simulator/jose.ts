// jose is published as ECMAScript modules only; this CommonJS package loads it once, lazily,
// and re-exports the types it needs from here.
export type Jose = typeof import("jose", { with: { "resolution-mode": "import" } });
export type {
  CryptoKey,
  JSONWebKeySet,
  JWK,
  JWTPayload,
  ProtectedHeaderParameters,
} from "jose" with { "resolution-mode": "import" };

let loading: Promise<Jose> | undefined;

export function loadJose(): Promise<Jose> {
  loading ??= import("jose");
  return loading;
}
